using Portal.Core.Tenancy;

namespace Portal.Core.Quotas;

/// <summary>A per-user limit inside a tenant. The tightest of the tenant's and the user's limits applies.</summary>
public sealed class UserQuotaLimit : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public required string UserId { get; set; }

    public QuotaMetric Metric { get; set; }

    public long? PeriodLimit { get; set; }

    public long? DailyLimit { get; set; }
}
