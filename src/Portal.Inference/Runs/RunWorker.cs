using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Datasets;
using Portal.Core.Runs;

namespace Portal.Inference.Runs;

/// <summary>
/// Works the run queue with <see cref="RunOptions.Parallelism"/> loops. Each loop claims the oldest claimable run
/// (queued, or running with an expired lease after a crash), works it, and otherwise sleeps until a run is queued in
/// this process or the poll interval passes. Beside them, a sweep deletes the valid rows of checks that no run took
/// within <see cref="RunService.CheckedRowsLifetime"/>.
/// </summary>
public sealed class RunWorker(RunQueue queue, RunProcessor processor, DatasetStorage storage, IOptions<RunOptions> options, TimeProvider clock, ILogger<RunWorker> logger)
    : BackgroundService
{
    private readonly string _process = $"{Environment.MachineName[..Math.Min(40, Environment.MachineName.Length)]}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll([.. Enumerable.Range(0, options.Value.Parallelism).Select(i => LoopAsync($"{_process}:{i}", stoppingToken)), SweepChecksAsync(stoppingToken)]);

    private async Task SweepChecksAsync(CancellationToken stopping)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(RunService.CheckedRowsLifetime / 6, clock);
        do
        {
            try
            {
                var deleted = storage.DeleteStaleChecks((clock.GetUtcNow() - RunService.CheckedRowsLifetime).UtcDateTime);
                if (deleted > 0)
                {
                    logger.LogInformation("Deleted the valid rows of {Count} checks that no run took", deleted);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "Could not sweep the checks' files; the next sweep tries again");
            }
        }
        while (await WaitAsync(timer, stopping));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task LoopAsync(string workerId, CancellationToken stopping)
    {
        await Task.Yield();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var run = await queue.ClaimAsync(workerId, stopping);
                if (run is null)
                {
                    await queue.Signal.WaitAsync(options.Value.PollInterval, clock, stopping);
                    continue;
                }

                await processor.ProcessAsync(run, workerId, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The run worker {WorkerId} hit an error; it retries after the poll interval", workerId);
                try
                {
                    await Task.Delay(options.Value.PollInterval, clock, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
