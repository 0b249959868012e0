using System.Security.Claims;
using Portal.Core.Accounts;
using Portal.Core.Tenancy;

namespace Portal.Web.Tenancy;

/// <summary>Turns a signed-in principal (cookie or API key) into the core's <see cref="Caller"/>.</summary>
public static class CallerPrincipal
{
    public static Caller? ToCaller(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null || !Guid.TryParse(principal.FindFirstValue(PortalClaims.TenantId), out var tenantId))
        {
            return null;
        }

        var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray();
        Guid? apiKeyId = Guid.TryParse(principal.FindFirstValue(PortalClaims.ApiKeyId), out var k) ? k : null;
        return new Caller(userId, tenantId, roles, apiKeyId);
    }
}
