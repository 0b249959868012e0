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

    /// <summary>As <see cref="ReserveAsync(QuotaMetric, long, string?, CancellationToken)"/>, held for <paramref name="hold"/> (queued batch work).</summary>
    Task<QuotaLease> ReserveAsync(QuotaMetric metric, long amount, string? templateId, TimeSpan hold, CancellationToken cancellationToken = default);

    /// <summary>
    /// A lease for a stored reservation made earlier (possibly by another process), to settle or release it. When the
    /// reservation has meanwhile expired, settling charges the amount against the current periods.
    /// </summary>
    QuotaLease Resume(Guid reservationId, QuotaMetric metric, long amount);

    /// <summary>The caller's and their tenant's consumption against limits for the current periods.</summary>
    Task<QuotaStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Requests per minute allowed to the caller as a user and through the calling API key (null: no limit).</summary>
    Task<(long? User, long? Key)> GetRateLimitsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns stored bytes (or any running total) when data is deleted: to the caller's tenant and to
    /// <paramref name="ownerId"/>, the user of that tenant whose data it was (who may not be the caller: a tenant admin
    /// deletes a member's dataset).
    /// </summary>
    Task CreditAsync(QuotaMetric metric, long amount, string ownerId, string? templateId = null, CancellationToken cancellationToken = default);
}

/// <summary>Consumption of one metric in one scope.</summary>
public sealed record QuotaUsageLine(
    QuotaMetric Metric, long Used, long? Limit, long? DailyUsed, long? DailyLimit, DateTimeOffset? ResetsAt, DateTimeOffset? DailyResetsAt = null)
{
    public long? Remaining => Limit is { } l ? Math.Max(0, l - Used) : null;

    /// <summary>Share of the limit used, 0..100, or null when unlimited.</summary>
    public double? Percent => Limit is { } l ? (l == 0 ? 100 : Math.Min(100, 100.0 * Used / l)) : null;
}

/// <summary>The caller's quota picture: tenant, user and (for a call with an API key) key lines.</summary>
public sealed record QuotaStatus(IReadOnlyList<QuotaUsageLine> Tenant, IReadOnlyList<QuotaUsageLine> User, IReadOnlyList<QuotaUsageLine> Key)
{
    /// <summary>The most that can still be reserved for <paramref name="metric"/> (tightest of tenant and user), or null when unlimited.</summary>
    public long? RemainingFor(QuotaMetric metric) => HeadroomFor(metric).Remaining;

    /// <summary>What can still be reserved for <paramref name="metric"/>, and when the binding limit resets.</summary>
    public QuotaHeadroom HeadroomFor(QuotaMetric metric)
    {
        QuotaHeadroom tightest = new(null, null);
        foreach (var (scope, lines) in new[] { ("tenant", Tenant), ("user", User), ("key", Key) })
        {
            foreach (var line in lines.Where(l => l.Metric == metric))
            {
                Consider(line.Remaining, line.ResetsAt, scope);
                if (line.DailyLimit is { } daily)
                {
                    Consider(Math.Max(0, daily - (line.DailyUsed ?? 0)), line.DailyResetsAt, scope);
                }
            }
        }

        return tightest;

        void Consider(long? remaining, DateTimeOffset? resetsAt, string scope)
        {
            if (remaining is { } r && (tightest.Remaining is not { } cur || r < cur))
            {
                tightest = new QuotaHeadroom(r, resetsAt, scope);
            }
        }
    }
}

/// <summary>What can still be reserved of one metric (null: unlimited), when the limit that binds resets, and whose it is (<c>tenant</c>, <c>user</c>, <c>key</c>).</summary>
public sealed record QuotaHeadroom(long? Remaining, DateTimeOffset? ResetsAt, string? Scope = null)
{
    public bool Allows(long amount) => Remaining is not { } r || amount <= r;
}
