using Portal.Core.Tenancy;

namespace Portal.Core.Quotas;

/// <summary>
/// Consumption of one metric by one scope (a tenant or a user) in one period. Reservations are granted by a single
/// conditional UPDATE on this row (<c>Used + Reserved + n &lt;= limit</c>), which is atomic in the database.
/// </summary>
public sealed class QuotaCounter : ITenantOwned
{
    public long Id { get; set; }

    public Guid TenantId { get; set; }

    /// <summary><c>tenant:{id}</c> or <c>user:{id}</c>.</summary>
    public required string Scope { get; set; }

    public QuotaMetric Metric { get; set; }

    /// <summary><c>M2026-11</c> (month), <c>D2026-11-29</c> (day) or <c>T</c> (running total).</summary>
    public required string Period { get; set; }

    public long Used { get; set; }

    public long Reserved { get; set; }
}
