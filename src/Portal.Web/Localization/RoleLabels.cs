using System.Security.Claims;
using Microsoft.Extensions.Localization;
using Portal.Core.Accounts;

namespace Portal.Web.Localization;

/// <summary>The one place roles get their display names.</summary>
public static class RoleLabels
{
    /// <summary>The display name of <paramref name="role"/>.</summary>
#pragma warning disable IDE1006 // "L" like in the pages, so the translation-coverage test finds these keys.
    public static string RoleLabel(this IStringLocalizer L, string role) => role switch
#pragma warning restore IDE1006
    {
        PortalRoles.PlatformAdmin => L["Platform admin"],
        PortalRoles.TenantAdmin => L["Organisation admin"],
        PortalRoles.Student => L["Student"],
        _ => L["Member"],
    };

    /// <summary>The most privileged of the user's roles.</summary>
    public static string PrimaryRole(ClaimsPrincipal user) =>
        PortalRoles.All.FirstOrDefault(user.IsInRole) ?? PortalRoles.Member;
}
