using Portal.Core.Audit;
using Portal.Core.Tenancy;

namespace Portal.Web.Tenancy;

/// <summary>Fills the request's tenant context from the authenticated principal (after authorization has run, so
/// API requests carry the API-key principal).</summary>
public sealed class CallerMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context, TenantContext tenantContext, RequestOrigin origin)
    {
        tenantContext.Set(CallerPrincipal.ToCaller(context.User));
        origin.IpAddress = context.Connection.RemoteIpAddress?.ToString();
        return next(context);
    }
}
