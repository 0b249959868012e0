namespace Portal.Core.Quotas;

/// <summary>
/// The one way metered work is admitted and charged: reserve before the work, settle the actual amount after it,
/// release on failure. Every settlement writes a <see cref="Usage.UsageRecord"/>.
/// </summary>
public interface IQuotaService
{
    /// <summary>Atomically reserves <paramref name="amount"/> against every limit that applies to the caller.</summary>
    /// <exception cref="QuotaExceededException">A limit would be exceeded; nothing was reserved.</exception>
    Task<QuotaLease> ReserveAsync(QuotaMetric metric, long amount, string? templateId = null, CancellationToken cancellationToken = default);

    /// <summary>The caller's and their tenant's consumption against limits for the current periods.</summary>
    Task<QuotaStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Returns stored bytes (or any running total) when data is deleted.</summary>
    Task CreditAsync(QuotaMetric metric, long amount, string? templateId = null, CancellationToken cancellationToken = default);
}

/// <summary>Consumption of one metric in one scope.</summary>
public sealed record QuotaUsageLine(QuotaMetric Metric, long Used, long? Limit, long? DailyUsed, long? DailyLimit, DateTimeOffset? ResetsAt)
{
    public long? Remaining => Limit is { } l ? Math.Max(0, l - Used) : null;

    /// <summary>Share of the limit used, 0..100, or null when unlimited.</summary>
    public double? Percent => Limit is { } l ? (l == 0 ? 100 : Math.Min(100, 100.0 * Used / l)) : null;
}

/// <summary>The caller's quota picture.</summary>
public sealed record QuotaStatus(IReadOnlyList<QuotaUsageLine> Tenant, IReadOnlyList<QuotaUsageLine> User)
{
    /// <summary>The most that can still be reserved for <paramref name="metric"/> (tightest of tenant and user), or null when unlimited.</summary>
    public long? RemainingFor(QuotaMetric metric)
    {
        long? remaining = null;
        foreach (var line in Tenant.Concat(User).Where(l => l.Metric == metric))
        {
            foreach (var r in new[] { line.Remaining, line.DailyLimit is { } d ? Math.Max(0, d - (line.DailyUsed ?? 0)) : (long?)null })
            {
                if (r is { } v)
                {
                    remaining = remaining is { } cur ? Math.Min(cur, v) : v;
                }
            }
        }

        return remaining;
    }
}
