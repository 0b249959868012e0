using Portal.Core.Tenancy;

namespace Portal.Core.Quotas;

/// <summary>
/// A reservation that has not been settled yet. Kept in the database so that a crash between reserve and settle
/// cannot hold quota forever: <see cref="QuotaService.ReleaseExpiredAsync"/> returns expired ones.
/// </summary>
public sealed class QuotaReservationRecord : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public required string UserId { get; set; }

    public Guid? ApiKeyId { get; set; }

    public string? TemplateId { get; set; }

    public QuotaMetric Metric { get; set; }

    public long Amount { get; set; }

    /// <summary>The counters held, as <c>scope@period</c> joined by <c>;</c>.</summary>
    public required string Counters { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
