using System.Threading.RateLimiting;

namespace Portal.Web.Quotas;

/// <summary>
/// Requests per minute per user and per API key, in fixed one-minute windows held in this process. The partition
/// key carries the limit, so a changed limit takes effect with the next request (in a fresh window).
/// </summary>
internal sealed class ApiRateLimiter : IAsyncDisposable
{
    private readonly PartitionedRateLimiter<(string Subject, long PerMinute)> _limiter =
        PartitionedRateLimiter.Create<(string Subject, long PerMinute), (string Subject, long PerMinute)>(key =>
            RateLimitPartition.GetFixedWindowLimiter(key, k => new FixedWindowRateLimiterOptions
            {
                PermitLimit = (int)Math.Min(int.MaxValue, Math.Max(0, k.PerMinute)),
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

    /// <summary>Takes one request from the subject's window; null when allowed, else how long until the window opens again.</summary>
    public TimeSpan? TryAcquire(string subject, long perMinute)
    {
        using var lease = _limiter.AttemptAcquire((subject, perMinute));
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromMinutes(1);
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}
