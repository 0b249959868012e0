using Microsoft.Extensions.Localization;

namespace Portal.Web.Localization;

/// <summary>Display names of industries.</summary>
public static class TemplateLabels
{
#pragma warning disable IDE1006 // "L" like in the pages, so the translation-coverage test finds these keys.
    public static string IndustryLabel(this IStringLocalizer L, string industry) => industry switch
#pragma warning restore IDE1006
    {
        "medical" => L["Medical"],
        "finance" => L["Finance"],
        "education" => L["Education"],
        _ => industry,
    };

    public static string IndustryIcon(string industry) => industry switch
    {
        "medical" => MudBlazor.Icons.Material.Filled.LocalHospital,
        "finance" => MudBlazor.Icons.Material.Filled.AccountBalance,
        "education" => MudBlazor.Icons.Material.Filled.School,
        _ => MudBlazor.Icons.Material.Filled.Widgets,
    };
}
