using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Data;

namespace Portal.Web.Tenancy;

/// <summary>Adds the tenant (id and name) and display name to the signed-in principal.</summary>
internal sealed class PortalClaimsPrincipalFactory(
    UserManager<PortalUser> users,
    RoleManager<IdentityRole> roles,
    IOptions<IdentityOptions> options,
    SystemDbContextFactory systemDb)
    : UserClaimsPrincipalFactory<PortalUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.FindAsync(user.TenantId);
        identity.AddClaim(new Claim(PortalClaims.TenantId, user.TenantId.ToString()));
        identity.AddClaim(new Claim(PortalClaims.TenantName, tenant?.Name ?? string.Empty));
        identity.AddClaim(new Claim(PortalClaims.DisplayName, user.DisplayName ?? user.Email ?? user.UserName ?? string.Empty));
        return identity;
    }
}
