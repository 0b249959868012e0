using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Data;
using Portal.Core.Templates;

namespace Portal.Core.Runs;

/// <summary>
/// The durable queue: runs in the database, claimed by one conditional UPDATE (state still claimable) so that two
/// workers, in one process or two on the same database, never take the same run. A claim is a lease renewed after
/// every chunk; a run whose lease expired (its worker crashed or was stopped) is claimable again.
/// </summary>
public sealed class RunQueue(SystemDbContextFactory systemDb, TimeProvider clock, IOptions<RunOptions> options)
{
    /// <summary>Wakes idle workers of this process when a run is queued here.</summary>
    public RunSignal Signal { get; } = new();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, CancellationTokenSource> _working = new();

    /// <summary>
    /// Registers a run this process works: the token is cancelled when the run is cancelled from this process (other
    /// processes' cancels arrive by heartbeat) or when <paramref name="stopping"/> fires. Disposing ends the registration.
    /// </summary>
    public RunTracking Track(Guid runId, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _working[runId] = source;
        return new RunTracking(this, runId, source);
    }

    /// <summary>A worked run's cancellation, registered with its queue until disposed.</summary>
    public sealed class RunTracking(RunQueue queue, Guid runId, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            queue._working.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(runId, source));
            source.Dispose();
        }
    }

    /// <summary>Cancels the run at once when this process works it.</summary>
    public void CancelLocal(Guid runId)
    {
        if (_working.TryGetValue(runId, out var source))
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Claims the oldest claimable run for <paramref name="workerId"/>, or returns null.</summary>
    public async Task<Run?> ClaimAsync(string workerId, CancellationToken cancellationToken)
    {
        await using var db = systemDb.CreateDbContext();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var now = clock.GetUtcNow();
            var candidate = await db.Runs.AsNoTracking()
                .Where(r => r.State == RunState.Queued || (r.State == RunState.Running && r.LeaseExpiresAt < now))
                .OrderBy(r => r.CreatedAt)
                .Select(r => (Guid?)r.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (candidate is not { } id)
            {
                return null;
            }

            var until = now + options.Value.Lease;
            var claimed = await db.Runs
                .Where(r => r.Id == id && (r.State == RunState.Queued || (r.State == RunState.Running && r.LeaseExpiresAt < now)))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.State, RunState.Running)
                    .SetProperty(r => r.WorkerId, workerId)
                    .SetProperty(r => r.LeaseExpiresAt, until)
                    .SetProperty(r => r.Attempts, r => r.Attempts + 1)
                    .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now), cancellationToken);
            if (claimed == 1)
            {
                return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id, cancellationToken);
            }
        }

        return null;
    }

    /// <summary>Records progress and renews the lease. False when the lease was lost (another worker took the run over).</summary>
    public async Task<(bool Held, bool CancelRequested)> HeartbeatAsync(Guid runId, string workerId, int rowsDone, CancellationToken cancellationToken)
    {
        await using var db = systemDb.CreateDbContext();
        var until = clock.GetUtcNow() + options.Value.Lease;
        var held = await db.Runs
            .Where(r => r.Id == runId && r.WorkerId == workerId && r.State == RunState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RowsDone, rowsDone).SetProperty(r => r.LeaseExpiresAt, until), cancellationToken);
        var cancel = held == 1 && await db.Runs.Where(r => r.Id == runId).Select(r => r.CancelRequested).SingleAsync(cancellationToken);
        return (held == 1, cancel);
    }

    /// <summary>Writes the outcome, if the worker still holds the run.</summary>
    public async Task<bool> FinishAsync(
        Guid runId, string workerId, RunState state, int rowsDone, long charged, LocalizableText? error, ModelMetrics? metrics, int labelled, CancellationToken cancellationToken)
    {
        await using var db = systemDb.CreateDbContext();
        var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == runId && r.WorkerId == workerId && r.State == RunState.Running, cancellationToken);
        if (run is null)
        {
            return false;
        }

        run.State = state;
        run.RowsDone = rowsDone;
        run.Charged = charged;
        var english = error?.ToString();
        run.Error = english is { Length: > 2000 } ? english[..2000] : english;
        run.ErrorText = error;
        run.Metrics = metrics;
        run.LabelledRows = labelled;
        run.FinishedAt = clock.GetUtcNow();
        run.LeaseExpiresAt = null;
        run.ReservationId = null;
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Records what a finished run's results were charged, in place of the estimate reserved for them; false when the
    /// results were deleted in the meantime (the charge is then to be given back).
    /// </summary>
    public async Task<bool> SetResultsBytesAsync(Guid runId, long bytes, CancellationToken cancellationToken)
    {
        await using var db = systemDb.CreateDbContext();
        return await db.Runs.Where(r => r.Id == runId && r.ResultsDeletedAt == null).ExecuteUpdateAsync(
            s => s.SetProperty(r => r.ResultsBytes, bytes).SetProperty(r => r.StorageReservationId, (Guid?)null), cancellationToken) == 1;
    }
}

/// <summary>An in-process wake-up for idle workers (other processes find new runs by polling).</summary>
public sealed class RunSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Notify() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref _next).Task.WaitAsync(timeout, clock, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }
}
