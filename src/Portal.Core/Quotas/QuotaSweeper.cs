using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;

namespace Portal.Core.Quotas;

/// <summary>Every minute, returns the quota held by reservations whose work never settled (crashes, lost processes).</summary>
internal sealed partial class QuotaSweeper(SystemDbContextFactory systemDb, TimeProvider clock, ILogger<QuotaSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var db = systemDb.CreateDbContext();
                var released = await QuotaService.ReleaseExpiredAsync(db, clock.GetUtcNow(), stoppingToken);
                if (released > 0)
                {
                    LogReleased(logger, released);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Released {Count} expired quota reservations")]
    private static partial void LogReleased(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Quota sweep failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
