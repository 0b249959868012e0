using MudBlazor;

namespace Portal.Web.Components.Layout;

/// <summary>The portal's colours and type, light and dark. System fonts only: nothing is fetched from the web.</summary>
public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00838f",
            AppbarBackground = "#283593",
            Background = "#f5f7fb",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7986cb",
            Secondary = "#4dd0e1",
            AppbarBackground = "#1a1f3a",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
            },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "8px" },
    };
}
