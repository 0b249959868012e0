using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;
using Portal.Web.Endpoints;

namespace Portal.Web.Quotas;

/// <summary>
/// Meters every authenticated API request as one <see cref="QuotaMetric.Requests"/>: first the per-minute rate of the
/// API key and of the user (429 with Retry-After), then the quota, reserved before the endpoint runs (429 when spent),
/// charged when it answers below 400, released otherwise.
/// </summary>
internal sealed class ApiRequestMeteringMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(
        HttpContext context, ITenantContext tenant, IQuotaService quota, ApiRateLimiter rates, IProblemDetailsService problems, TimeProvider clock)
    {
        if (tenant.Caller is not { } caller)
        {
            await next(context);
            return;
        }

        var (userRate, keyRate) = await quota.GetRateLimitsAsync(context.RequestAborted);
        var refused = keyRate is { } k && caller.ApiKeyId is { } keyId && rates.TryAcquire("key:" + keyId.ToString("N"), k) is { } keyWait
            ? ApiExceptionHandler.RateProblem(context, "key", k, keyWait)
            : userRate is { } u && rates.TryAcquire("user:" + caller.UserId, u) is { } userWait
                ? ApiExceptionHandler.RateProblem(context, "user", u, userWait)
                : null;
        if (refused is not null)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = refused });
            return;
        }

        QuotaLease lease;
        try
        {
            lease = await quota.ReserveAsync(QuotaMetric.Requests, 1, cancellationToken: context.RequestAborted);
        }
        catch (QuotaExceededException e)
        {
            var problem = ApiExceptionHandler.QuotaProblem(context, e.Denial, clock.GetUtcNow());
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
            return;
        }

        await using (lease)
        {
            await next(context);
            if (context.Response.StatusCode < 400)
            {
                await lease.SettleAsync(1);
            }
            else
            {
                await lease.ReleaseAsync(UsageOutcome.Failed);
            }
        }
    }
}
