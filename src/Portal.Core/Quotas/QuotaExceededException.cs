namespace Portal.Core.Quotas;

/// <summary>Which limit refused a reservation.</summary>
/// <param name="Metric">The metered quantity.</param>
/// <param name="Scope"><c>tenant</c> or <c>user</c>.</param>
/// <param name="Period"><c>month</c>, <c>day</c> or <c>total</c>.</param>
/// <param name="Limit">The limit in force.</param>
/// <param name="Used">Already used plus held by other reservations.</param>
/// <param name="Requested">What was asked for.</param>
/// <param name="ResetsAt">When the period starts over, or null for running totals.</param>
public sealed record QuotaDenial(
    QuotaMetric Metric, string Scope, string Period, long Limit, long Used, long Requested, DateTimeOffset? ResetsAt)
{
    public long Remaining => Math.Max(0, Limit - Used);
}

/// <summary>Thrown by <see cref="IQuotaService.ReserveAsync"/> when a limit would be exceeded. Nothing was reserved.</summary>
public sealed class QuotaExceededException(QuotaDenial denial)
    : Exception($"The {denial.Scope} {denial.Period} limit for {denial.Metric} is {denial.Limit}; {denial.Remaining} remain and {denial.Requested} were requested.")
{
    public QuotaDenial Denial { get; } = denial;
}
