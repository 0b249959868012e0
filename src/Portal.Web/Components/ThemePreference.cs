namespace Portal.Web.Components;

/// <summary>The user's light/dark choice, remembered in a cookie and handed from the host page to the interactive UI.</summary>
public sealed record ThemePreference(bool DarkMode)
{
    public const string CookieName = "portal.theme";
}
