using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Runs;

namespace Portal.Inference.Runs;

/// <summary>
/// Works the run queue with <see cref="RunOptions.Parallelism"/> loops. Each loop claims the oldest claimable run
/// (queued, or running with an expired lease after a crash), works it, and otherwise sleeps until a run is queued in
/// this process or the poll interval passes.
/// </summary>
public sealed class RunWorker(RunQueue queue, RunProcessor processor, IOptions<RunOptions> options, TimeProvider clock, ILogger<RunWorker> logger)
    : BackgroundService
{
    private readonly string _process = $"{Environment.MachineName[..Math.Min(40, Environment.MachineName.Length)]}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.Parallelism).Select(i => LoopAsync($"{_process}:{i}", stoppingToken)));

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
