using Microsoft.EntityFrameworkCore;
using Portal.Core.Accounts;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Tenancy;

namespace Portal.Core.Quotas;

/// <summary>A quota plan with its limits per metric and how many tenants are on it.</summary>
public sealed record PlanSummary(Guid Id, string Name, IReadOnlyDictionary<QuotaMetric, LimitValues> Limits, int Tenants);

/// <summary>One metric's limits at a level: its own values, the level above's, and what binds (the tightest).</summary>
public sealed record LimitLine(QuotaMetric Metric, LimitValues Own, LimitValues Above, LimitValues Effective);

/// <summary>A subject's (tenant, user or key) limits for every metric.</summary>
public sealed record SubjectLimits(QuotaScope Scope, string SubjectId, string Name, IReadOnlyList<LimitLine> Lines);

/// <summary>A refused limit change, with a message fit for the user.</summary>
public sealed class QuotaLimitValidationException(string format, params object[] args) : LocalizableException(new LocalizableText(format, args));

/// <summary>
/// Changes limits along the hierarchy platform plan → tenant → user → API key. Platform admins edit plans, assign them
/// and override a tenant's limits; tenant admins set their members' and keys' limits, never above the level above.
/// Every change is audited with before and after.
/// </summary>
public sealed class QuotaAdminService(SystemDbContextFactory systemDb, IDbContextFactory<PortalDbContext> tenantDb, ITenantContext tenantContext, IAuditLog audit)
{
    public async Task<IReadOnlyList<PlanSummary>> ListPlansAsync(CancellationToken cancellationToken = default)
    {
        await using var db = systemDb.CreateDbContext();
        var plans = await db.QuotaPlans.AsNoTracking().Include(p => p.Limits).ToListAsync(cancellationToken);
        var counts = await db.Tenants.AsNoTracking().GroupBy(t => t.QuotaPlanId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return [.. plans
            .Select(p => new PlanSummary(p.Id, p.Name, p.Limits.ToDictionary(l => l.Metric, l => l.Values), counts.SingleOrDefault(c => c.Key == p.Id)?.Count ?? 0))
            .OrderBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>Creates (null <paramref name="id"/>) or changes a plan (PlatformAdmin). Metrics left out are unlimited.</summary>
    public async Task<PlanSummary> SavePlanAsync(Guid? id, string name, IReadOnlyDictionary<QuotaMetric, LimitValues> limits, CancellationToken cancellationToken = default)
    {
        var caller = RequirePlatformAdmin();
        name = name.Trim();
        if (name.Length is < 2 or > 100)
        {
            throw new QuotaLimitValidationException("A plan name must be 2 to 100 characters long.");
        }

        foreach (var (metric, values) in limits)
        {
            Check(metric, values);
        }

        await using var db = systemDb.CreateDbContext();
        if (await db.QuotaPlans.AnyAsync(p => p.Name == name && p.Id != id, cancellationToken))
        {
            throw new QuotaLimitValidationException("A plan named '{0}' already exists.", name);
        }

        QuotaPlan plan;
        string before;
        if (id is { } existing)
        {
            plan = await db.QuotaPlans.Include(p => p.Limits).SingleOrDefaultAsync(p => p.Id == existing, cancellationToken)
                ?? throw new KeyNotFoundException("There is no such plan.");
            before = $"{plan.Name}: {Describe(plan.Limits.ToDictionary(l => l.Metric, l => l.Values))}";
            plan.Name = name;
            db.QuotaPlanLimits.RemoveRange(plan.Limits);
            await db.SaveChangesAsync(cancellationToken);
            plan.Limits = [];
        }
        else
        {
            plan = new QuotaPlan { Name = name };
            db.QuotaPlans.Add(plan);
            before = string.Empty;
        }

        foreach (var (metric, v) in limits.Where(l => !l.Value.IsEmpty))
        {
            plan.Limits.Add(new QuotaPlanLimit { QuotaPlanId = plan.Id, Metric = metric, PeriodLimit = v.Period, DailyLimit = v.Daily, PerMinuteLimit = v.PerMinute });
        }

        await db.SaveChangesAsync(cancellationToken);
        var after = limits.Where(l => !l.Value.IsEmpty).ToDictionary();
        await audit.WriteAsync(caller.TenantId, id is null ? AuditActions.QuotaPlanCreated : AuditActions.QuotaPlanChanged, name, before, $"{name}: {Describe(after)}", cancellationToken);
        return new PlanSummary(plan.Id, plan.Name, after, await db.Tenants.CountAsync(t => t.QuotaPlanId == plan.Id, cancellationToken));
    }

    /// <summary>Puts a tenant on a plan (PlatformAdmin).</summary>
    public async Task AssignPlanAsync(Guid tenantId, string planName, CancellationToken cancellationToken = default)
    {
        RequirePlatformAdmin();
        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.Include(t => t.QuotaPlan).SingleOrDefaultAsync(t => t.Id == tenantId, cancellationToken)
            ?? throw new KeyNotFoundException("There is no such tenant.");
        var plan = await db.QuotaPlans.SingleOrDefaultAsync(p => p.Name == planName, cancellationToken)
            ?? throw new QuotaLimitValidationException("There is no plan named '{0}'.", planName);
        var before = tenant.QuotaPlan?.Name;
        if (tenant.QuotaPlanId != plan.Id)
        {
            tenant.QuotaPlanId = plan.Id;
            await db.SaveChangesAsync(cancellationToken);
            await audit.WriteAsync(tenant.Id, AuditActions.QuotaPlanAssigned, tenant.Slug, before, plan.Name, cancellationToken);
        }
    }

    /// <summary>A tenant's limits: its plan's, its overrides and what binds (PlatformAdmin any tenant; TenantAdmin their own).</summary>
    public async Task<SubjectLimits> GetTenantLimitsAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        if (!caller.IsPlatformAdmin && caller.TenantId != tenantId)
        {
            throw new KeyNotFoundException("There is no such tenant.");
        }

        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.AsNoTracking().Include(t => t.QuotaPlan!).ThenInclude(p => p.Limits)
            .SingleOrDefaultAsync(t => t.Id == tenantId, cancellationToken) ?? throw new KeyNotFoundException("There is no such tenant.");
        var overrides = await db.QuotaLimits.AsNoTracking()
            .Where(l => l.TenantId == tenantId && l.Scope == QuotaScope.Tenant).ToListAsync(cancellationToken);
        var lines = QuotaMetrics.All.Select(m =>
        {
            var plan = tenant.QuotaPlan!.Limits.SingleOrDefault(l => l.Metric == m)?.Values ?? LimitValues.None;
            var own = overrides.SingleOrDefault(o => o.Metric == m)?.Values ?? LimitValues.None;
            return new LimitLine(m, own, plan, overrides.Any(o => o.Metric == m) ? own : plan);
        }).ToList();
        return new SubjectLimits(QuotaScope.Tenant, string.Empty, tenant.Name, lines);
    }

    /// <summary>
    /// Overrides a tenant's plan for one metric (PlatformAdmin), in either direction; null clears the override. A
    /// value left null in an override means unlimited for that tenant.
    /// </summary>
    /// <returns>The tenant's limits afterwards.</returns>
    public async Task<SubjectLimits> SetTenantOverrideAsync(Guid tenantId, QuotaMetric metric, LimitValues? values, CancellationToken cancellationToken = default)
    {
        RequirePlatformAdmin();
        if (values is not null)
        {
            Check(metric, values);
        }

        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == tenantId, cancellationToken) ?? throw new KeyNotFoundException("There is no such tenant.");
        var row = await db.QuotaLimits.SingleOrDefaultAsync(l => l.TenantId == tenantId && l.Scope == QuotaScope.Tenant && l.Metric == metric, cancellationToken);
        await WriteAsync(db, row, tenantId, QuotaScope.Tenant, string.Empty, metric, values, AuditActions.QuotaTenantOverride, $"{tenant.Slug} {metric}", cancellationToken);
        return await GetTenantLimitsAsync(tenantId, cancellationToken);
    }

    /// <summary>The caller's tenant's members with their own and binding limits (TenantAdmin).</summary>
    public async Task<IReadOnlyList<SubjectLimits>> ListUserLimitsAsync(CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        await using var db = await tenantDb.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Select(u => new { u.Id, u.Email }).ToListAsync(cancellationToken);
        // The tenant's limits once, every member's own limits in one query.
        var tenant = await QuotaLimitChain.LoadAsync(db, caller.TenantId, null, null, cancellationToken);
        var own = (await db.QuotaLimits.AsNoTracking().Where(l => l.Scope == QuotaScope.User).ToListAsync(cancellationToken))
            .ToLookup(l => l.SubjectId);
        return [.. users.OrderBy(u => u.Email, StringComparer.OrdinalIgnoreCase).Select(u => new SubjectLimits(QuotaScope.User, u.Id, u.Email ?? u.Id,
            [.. QuotaMetrics.All.Select(m =>
            {
                var mine = own[u.Id].SingleOrDefault(l => l.Metric == m)?.Values ?? LimitValues.None;
                return new LimitLine(m, mine, tenant.Tenant(m), tenant.Tenant(m).Tighten(mine));
            })]))];
    }

    /// <summary>One member's limits (TenantAdmin); another tenant's user is "not found".</summary>
    public async Task<SubjectLimits> GetUserLimitsAsync(string userId, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        await using var db = await tenantDb.CreateDbContextAsync(cancellationToken);
        var email = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken)
            ?? throw new KeyNotFoundException("No such member in your organisation.");
        var limits = await QuotaLimitChain.LoadAsync(db, caller.TenantId, userId, null, cancellationToken);
        return new SubjectLimits(QuotaScope.User, userId, email,
            [.. QuotaMetrics.All.Select(m => new LimitLine(m, limits.User(m), limits.Tenant(m), limits.EffectiveUser(m)))]);
    }

    /// <summary>Sets a member's own limit for one metric (TenantAdmin), never above the tenant's; null clears it.</summary>
    /// <returns>The member's limits afterwards.</returns>
    public async Task<SubjectLimits> SetUserLimitAsync(string userId, QuotaMetric metric, LimitValues? values, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        await using var db = await tenantDb.CreateDbContextAsync(cancellationToken);
        var email = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken)
            ?? throw new KeyNotFoundException("No such member in your organisation.");
        if (values is not null)
        {
            Check(metric, values);
            var limits = await QuotaLimitChain.LoadAsync(db, caller.TenantId, userId, null, cancellationToken);
            if (limits.Tenant(metric).Exceeded(values) is { } why)
            {
                throw new QuotaLimitValidationException("A member's limit cannot be above the organisation's: {0}.", why);
            }
        }

        var row = await db.QuotaLimits.SingleOrDefaultAsync(l => l.Scope == QuotaScope.User && l.SubjectId == userId && l.Metric == metric, cancellationToken);
        await WriteAsync(db, row, caller.TenantId, QuotaScope.User, userId, metric, values, AuditActions.QuotaUserLimit, $"{email} {metric}", cancellationToken);
        return await GetUserLimitsAsync(userId, cancellationToken);
    }

    /// <summary>The tenant's API keys with their own and binding limits (TenantAdmin).</summary>
    public async Task<SubjectLimits> GetKeyLimitsAsync(Guid keyId, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        await using var db = await tenantDb.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == keyId, cancellationToken)
            ?? throw new KeyNotFoundException("No such API key in your organisation.");
        var limits = await QuotaLimitChain.LoadAsync(db, caller.TenantId, key.UserId, key.Id, cancellationToken);
        return new SubjectLimits(QuotaScope.ApiKey, key.Id.ToString(), $"{key.Name} ({key.Prefix}…)",
            [.. QuotaMetrics.All.Select(m => new LimitLine(m, limits.Key(m), limits.EffectiveUser(m), limits.EffectiveKey(m)))]);
    }

    /// <summary>Sets an API key's own limit (TenantAdmin), never above its owner's; null clears it.</summary>
    /// <returns>The key's limits afterwards.</returns>
    public async Task<SubjectLimits> SetKeyLimitAsync(Guid keyId, QuotaMetric metric, LimitValues? values, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        await using var db = await tenantDb.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == keyId, cancellationToken)
            ?? throw new KeyNotFoundException("No such API key in your organisation.");
        if (values is not null)
        {
            Check(metric, values);
            var limits = await QuotaLimitChain.LoadAsync(db, caller.TenantId, key.UserId, null, cancellationToken);
            if (limits.EffectiveUser(metric).Exceeded(values) is { } why)
            {
                throw new QuotaLimitValidationException("A key's limit cannot be above its owner's: {0}.", why);
            }
        }

        var subject = key.Id.ToString();
        var row = await db.QuotaLimits.SingleOrDefaultAsync(l => l.Scope == QuotaScope.ApiKey && l.SubjectId == subject && l.Metric == metric, cancellationToken);
        await WriteAsync(db, row, caller.TenantId, QuotaScope.ApiKey, subject, metric, values, AuditActions.QuotaKeyLimit, $"{key.Prefix} {metric}", cancellationToken);
        return await GetKeyLimitsAsync(keyId, cancellationToken);
    }

    private async Task WriteAsync(
        PortalDbContext db, QuotaLimit? row, Guid tenantId, QuotaScope scope, string subjectId, QuotaMetric metric, LimitValues? values,
        string action, string target, CancellationToken cancellationToken)
    {
        var before = row?.Values.ToString() ?? "inherited";
        if (values is null || (values.IsEmpty && scope != QuotaScope.Tenant))
        {
            if (row is null)
            {
                return;
            }

            db.QuotaLimits.Remove(row);
        }
        else if (row is null)
        {
            db.QuotaLimits.Add(new QuotaLimit
            {
                TenantId = tenantId, Scope = scope, SubjectId = subjectId, Metric = metric,
                PeriodLimit = values.Period, DailyLimit = values.Daily, PerMinuteLimit = values.PerMinute,
            });
        }
        else
        {
            row.PeriodLimit = values.Period;
            row.DailyLimit = values.Daily;
            row.PerMinuteLimit = values.PerMinute;
        }

        await db.SaveChangesAsync(cancellationToken);
        var after = values is null || (values.IsEmpty && scope != QuotaScope.Tenant) ? "inherited" : values.ToString();
        await audit.WriteAsync(tenantId, action, target, before, after, cancellationToken);
    }

    private static void Check(QuotaMetric metric, LimitValues v)
    {
        if (v.Period < 0 || v.Daily < 0 || v.PerMinute < 0)
        {
            throw new QuotaLimitValidationException("Limits cannot be negative.");
        }

        if (v.PerMinute is not null && metric != QuotaMetric.Requests)
        {
            throw new QuotaLimitValidationException("A per-minute limit applies to API requests only.");
        }

        if (v.Daily is not null && metric.IsRunningTotal())
        {
            throw new QuotaLimitValidationException("Storage is a running total and has no daily limit.");
        }
    }

    private static string Describe(IReadOnlyDictionary<QuotaMetric, LimitValues> limits) =>
        limits.Count == 0 ? "unlimited" : string.Join(" | ", limits.OrderBy(l => l.Key).Select(l => $"{l.Key} {l.Value}"));

    private Caller RequirePlatformAdmin() =>
        tenantContext.Caller is { IsPlatformAdmin: true } c ? c : throw new UnauthorizedAccessException("Only a platform administrator can change plans and tenant limits.");

    private Caller RequireAdmin() =>
        tenantContext.Caller is { } c && (c.IsInRole(PortalRoles.TenantAdmin) || c.IsPlatformAdmin)
            ? c
            : throw new UnauthorizedAccessException("Only an administrator can manage limits.");
}
