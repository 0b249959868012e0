namespace Portal.Web.Localization;

/// <summary>The UI languages: English and Simplified Chinese.</summary>
public static class PortalCultures
{
    public const string Default = "en";

    public static IReadOnlyList<string> Supported { get; } = ["en", "zh-CN"];

    public static bool IsSupported(string? culture) => culture is not null && Supported.Contains(culture, StringComparer.OrdinalIgnoreCase);
}
