using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Core.Quotas;

/// <summary>
/// The limits that apply to one caller, level by level: the tenant's (its override where set, else its plan's), the
/// user's own and the API key's own. A reservation must fit every level; the tightest therefore applies.
/// </summary>
public sealed class CallerLimits(
    IReadOnlyDictionary<QuotaMetric, LimitValues> tenant,
    IReadOnlyDictionary<QuotaMetric, LimitValues> user,
    IReadOnlyDictionary<QuotaMetric, LimitValues> key)
{
    public LimitValues Tenant(QuotaMetric metric) => tenant.GetValueOrDefault(metric, LimitValues.None);

    public LimitValues User(QuotaMetric metric) => user.GetValueOrDefault(metric, LimitValues.None);

    public LimitValues Key(QuotaMetric metric) => key.GetValueOrDefault(metric, LimitValues.None);

    /// <summary>What binds a user: the tenant's limit tightened by the user's own.</summary>
    public LimitValues EffectiveUser(QuotaMetric metric) => Tenant(metric).Tighten(User(metric));

    /// <summary>What binds a key: the user's effective limit tightened by the key's own.</summary>
    public LimitValues EffectiveKey(QuotaMetric metric) => EffectiveUser(metric).Tighten(Key(metric));
}

/// <summary>Loads <see cref="CallerLimits"/>; the one place that knows how plan, override, user and key limits combine.</summary>
public static class QuotaLimitChain
{
    public static async Task<CallerLimits> LoadAsync(PortalDbContext db, Guid tenantId, string? userId, Guid? apiKeyId, CancellationToken ct)
    {
        var plan = await db.Tenants.AsNoTracking()
            .Where(t => t.Id == tenantId)
            .SelectMany(t => t.QuotaPlan!.Limits)
            .ToListAsync(ct);
        var keyId = apiKeyId?.ToString();
        var own = await db.QuotaLimits.AsNoTracking()
            .Where(l => l.TenantId == tenantId && (l.Scope == QuotaScope.Tenant
                || (l.Scope == QuotaScope.User && l.SubjectId == userId)
                || (l.Scope == QuotaScope.ApiKey && l.SubjectId == keyId)))
            .ToListAsync(ct);

        var tenant = plan.ToDictionary(l => l.Metric, l => l.Values);
        foreach (var o in own.Where(l => l.Scope == QuotaScope.Tenant))
        {
            tenant[o.Metric] = o.Values; // an override replaces the plan's value for that metric, in either direction
        }

        return new CallerLimits(
            tenant,
            own.Where(l => l.Scope == QuotaScope.User).ToDictionary(l => l.Metric, l => l.Values),
            own.Where(l => l.Scope == QuotaScope.ApiKey).ToDictionary(l => l.Metric, l => l.Values));
    }
}
