using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Quotas;

namespace Portal.Core.Tenancy;

/// <summary>A tenant as shown to administrators.</summary>
public sealed record TenantSummary(Guid Id, string Name, string Slug, bool IsActive, string Plan, int Members, DateTimeOffset CreatedAt);

/// <summary>Why a tenant could not be created.</summary>
public sealed class TenantValidationException(string format, params object[] args) : LocalizableException(new LocalizableText(format, args));

/// <summary>Creates and lists tenants. Creating tenants spans tenants by nature, so it runs in a system context after the caller's role is checked.</summary>
public sealed partial class TenantService(SystemDbContextFactory systemDb, ITenantContext tenantContext, IAuditLog audit, IOptions<QuotaOptions> quotaOptions, TimeProvider clock)
{
    public async Task<IReadOnlyList<TenantSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        RequirePlatformAdmin();
        await using var db = systemDb.CreateDbContext();
        var rows = await db.Tenants.AsNoTracking()
            .Select(t => new TenantSummary(t.Id, t.Name, t.Slug, t.IsActive, t.QuotaPlan!.Name, db.Users.Count(u => u.TenantId == t.Id), t.CreatedAt))
            .ToListAsync(cancellationToken);
        return [.. rows.OrderBy(t => t.Name, StringComparer.CurrentCultureIgnoreCase)];
    }

    public async Task<IReadOnlyList<string>> ListPlansAsync(CancellationToken cancellationToken = default)
    {
        await using var db = systemDb.CreateDbContext();
        var names = await db.QuotaPlans.AsNoTracking().Select(p => p.Name).ToListAsync(cancellationToken);
        return [.. names.Order(StringComparer.Ordinal)];
    }

    /// <summary>Creates a tenant (PlatformAdmin only); null <paramref name="planName"/> takes the default plan.</summary>
    public async Task<TenantSummary> CreateAsync(string name, string slug, string? planName, CancellationToken cancellationToken = default)
    {
        RequirePlatformAdmin();
        var (tenant, plan) = await CreateCoreAsync(name, slug, planName, cancellationToken);
        return new TenantSummary(tenant.Id, tenant.Name, tenant.Slug, tenant.IsActive, plan, 0, tenant.CreatedAt);
    }

    /// <summary>Renames a tenant (PlatformAdmin only); the slug stays.</summary>
    public async Task<TenantSummary> RenameAsync(Guid id, string name, CancellationToken cancellationToken = default)
    {
        RequirePlatformAdmin();
        name = name.Trim();
        if (name.Length is < 2 or > 200)
        {
            throw new TenantValidationException("The organisation name must be 2 to 200 characters long.");
        }

        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.Include(t => t.QuotaPlan).SingleOrDefaultAsync(t => t.Id == id, cancellationToken)
            ?? throw new KeyNotFoundException("There is no such tenant.");
        var before = tenant.Name;
        tenant.Name = name;
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(tenant.Id, AuditActions.TenantRenamed, tenant.Slug, before, name, cancellationToken);
        return await SummaryAsync(db, tenant, cancellationToken);
    }

    /// <summary>
    /// Deactivates or reactivates a tenant (PlatformAdmin only). A deactivated tenant's users and API keys are refused
    /// with a clear message on their next request; nothing is deleted. Platform administrators cannot deactivate their
    /// own tenant (they would lock everyone out).
    /// </summary>
    public async Task<TenantSummary> SetActiveAsync(Guid id, bool active, CancellationToken cancellationToken = default)
    {
        RequirePlatformAdmin();
        if (!active && id == tenantContext.Caller!.TenantId)
        {
            throw new TenantValidationException("You cannot deactivate your own organisation.");
        }

        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.Include(t => t.QuotaPlan).SingleOrDefaultAsync(t => t.Id == id, cancellationToken)
            ?? throw new KeyNotFoundException("There is no such tenant.");
        if (tenant.IsActive != active)
        {
            tenant.IsActive = active;
            await db.SaveChangesAsync(cancellationToken);
            await audit.WriteAsync(tenant.Id, active ? AuditActions.TenantActivated : AuditActions.TenantDeactivated, tenant.Slug,
                $"active={!active}", $"active={active}", cancellationToken);
        }

        return await SummaryAsync(db, tenant, cancellationToken);
    }

    /// <summary>Whether the tenant may be used (read on every request and circuit; one indexed lookup).</summary>
    public async Task<bool> IsActiveAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = systemDb.CreateDbContext();
        return await db.Tenants.AsNoTracking().Where(t => t.Id == id).Select(t => t.IsActive).SingleOrDefaultAsync(cancellationToken);
    }

    private static async Task<TenantSummary> SummaryAsync(PortalDbContext db, Tenant tenant, CancellationToken cancellationToken) =>
        new(tenant.Id, tenant.Name, tenant.Slug, tenant.IsActive, tenant.QuotaPlan?.Name ?? string.Empty,
            await db.Users.CountAsync(u => u.TenantId == tenant.Id, cancellationToken), tenant.CreatedAt);

    /// <summary>Creates the tenant of a self-registering organisation on the default plan.</summary>
    internal async Task<Tenant> CreateForRegistrationAsync(string name, CancellationToken cancellationToken)
    {
        await using var db = systemDb.CreateDbContext();
        var baseSlug = Slugify(name);
        var slug = baseSlug;
        for (var i = 2; await db.Tenants.AnyAsync(t => t.Slug == slug, cancellationToken); i++)
        {
            slug = $"{baseSlug}-{i}";
        }

        return (await CreateCoreAsync(name, slug, null, cancellationToken)).Tenant;
    }

    private async Task<(Tenant Tenant, string Plan)> CreateCoreAsync(string name, string slug, string? planName, CancellationToken cancellationToken)
    {
        name = name.Trim();
        slug = slug.Trim().ToLowerInvariant();
        if (name.Length is < 2 or > 200)
        {
            throw new TenantValidationException("The organisation name must be 2 to 200 characters long.");
        }

        if (!SlugPattern().IsMatch(slug))
        {
            throw new TenantValidationException("The slug must be 2 to 64 lower-case letters, digits or hyphens, starting with a letter or digit.");
        }

        await using var db = systemDb.CreateDbContext();
        if (await db.Tenants.AnyAsync(t => t.Slug == slug, cancellationToken))
        {
            throw new TenantValidationException("The slug '{0}' is already taken.", slug);
        }

        planName ??= quotaOptions.Value.DefaultPlan;
        var plan = await db.QuotaPlans.SingleOrDefaultAsync(p => p.Name == planName, cancellationToken)
            ?? throw new TenantValidationException("There is no quota plan named '{0}'.", planName);
        var tenant = new Tenant { Name = name, Slug = slug, QuotaPlanId = plan.Id, CreatedAt = clock.GetUtcNow() };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(tenant.Id, AuditActions.TenantCreated, slug, after: $"name={name}; plan={plan.Name}", cancellationToken: cancellationToken);
        return (tenant, plan.Name);
    }

    public static string Slugify(string name)
    {
        var slug = NonSlugChars().Replace(name.Trim().ToLowerInvariant(), "-").Trim('-');
        if (slug.Length > 48)
        {
            slug = slug[..48].Trim('-');
        }

        return slug.Length >= 2 ? slug : "org-" + Guid.NewGuid().ToString("N")[..8];
    }

    private void RequirePlatformAdmin()
    {
        if (tenantContext.Caller is not { IsPlatformAdmin: true })
        {
            throw new UnauthorizedAccessException("Only a platform administrator can manage tenants.");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlugChars();
}
