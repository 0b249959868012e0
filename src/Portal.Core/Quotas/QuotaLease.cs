using Portal.Core.Usage;

namespace Portal.Core.Quotas;

/// <summary>
/// Quota held for one piece of work. Call <see cref="SettleAsync"/> with what was actually used, or
/// <see cref="ReleaseAsync"/> when the work failed; disposing an unsettled lease releases it as failed.
/// </summary>
public sealed class QuotaLease : IAsyncDisposable
{
    private readonly QuotaService _service;
    private readonly long _startedTimestamp;
    private int _done;

    internal QuotaLease(QuotaService service, Guid id, QuotaMetric metric, long amount, long startedTimestamp)
    {
        _service = service;
        Id = id;
        Metric = metric;
        Amount = amount;
        _startedTimestamp = startedTimestamp;
    }

    public Guid Id { get; }

    public QuotaMetric Metric { get; }

    /// <summary>The amount reserved.</summary>
    public long Amount { get; }

    public bool IsSettled => Volatile.Read(ref _done) == 1;

    // Settling and releasing take no CancellationToken on purpose: once work has happened its charge (or its
    // release) must be written even when the caller has gone away.

    /// <summary>Charges <paramref name="actual"/> (may differ from the reserved amount) and writes the usage record.</summary>
    public Task SettleAsync(long actual) => SettleAsync(actual, UsageOutcome.Succeeded);

    /// <summary>Charges <paramref name="actual"/> with an explicit outcome (e.g. the done part of a cancelled run).</summary>
    public Task SettleAsync(long actual, UsageOutcome outcome)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actual);
        return Interlocked.Exchange(ref _done, 1) == 0
            ? _service.CompleteAsync(this, actual, outcome, _startedTimestamp)
            : throw new InvalidOperationException("This quota lease was already settled or released.");
    }

    /// <summary>Returns the whole reservation; the usage record shows the failure with nothing charged.</summary>
    public Task ReleaseAsync(UsageOutcome outcome = UsageOutcome.Failed) =>
        Interlocked.Exchange(ref _done, 1) == 0
            ? _service.CompleteAsync(this, 0, outcome, _startedTimestamp)
            : Task.CompletedTask;

    public async ValueTask DisposeAsync() => await ReleaseAsync(UsageOutcome.Failed).ConfigureAwait(false);
}
