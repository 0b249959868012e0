using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;
using Portal.Web.Endpoints;

namespace Portal.Web.Quotas;

/// <summary>
/// Meters every authenticated API request as one <see cref="QuotaMetric.Requests"/>: reserved before the endpoint runs
/// (429 when the quota is spent), charged when it answers below 400, released otherwise.
/// </summary>
internal sealed class ApiRequestMeteringMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, ITenantContext tenant, IQuotaService quota, IProblemDetailsService problems, TimeProvider clock)
    {
        if (tenant.Caller is null)
        {
            await next(context);
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
