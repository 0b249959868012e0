using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;
using Portal.Core.Accounts;

namespace Portal.Web.Localization;

internal static class CultureEndpoints
{
    public const string CookieName = ".AspNetCore.Culture";

    /// <summary><c>GET /culture/set?culture=zh-CN&amp;redirectUri=/</c>: remembers the choice in a cookie and on the user.</summary>
    public static void MapCultureEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/culture/set", async (string culture, string? redirectUri, HttpContext context, UserManager<PortalUser> users) =>
        {
            if (!PortalCultures.IsSupported(culture))
            {
                culture = PortalCultures.Default;
            }

            AppendCultureCookie(context.Response, culture);
            if (context.User.Identity?.IsAuthenticated == true && await users.FindByIdAsync(context.User.FindFirstValue(ClaimTypes.NameIdentifier)!) is { } user)
            {
                user.PreferredCulture = culture;
                await users.UpdateAsync(user);
            }

            var target = redirectUri is { Length: > 0 } r && r.StartsWith('/') && !r.StartsWith("//", StringComparison.Ordinal) ? r : "/";
            return Results.LocalRedirect(target);
        }).ExcludeFromDescription();

    public static void AppendCultureCookie(HttpResponse response, string culture) =>
        response.Cookies.Append(
            CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = false });
}
