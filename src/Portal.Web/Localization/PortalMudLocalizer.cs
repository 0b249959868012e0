using Microsoft.Extensions.Localization;
using MudBlazor;

namespace Portal.Web.Localization;

/// <summary>
/// MudBlazor's own texts (the data grid pager's "Rows per page:", "1-25 of 800", its buttons) from the portal's
/// translations, so that grids read in Simplified Chinese too; anything not listed keeps MudBlazor's English.
/// </summary>
internal sealed class PortalMudLocalizer(IStringLocalizer<SharedResource> L) : MudLocalizer
{
    public override LocalizedString this[string key] => key switch
    {
        "MudDataGridPager_RowsPerPage" => L["Rows per page:"],
        "MudDataGridPager_InfoFormat" => L["{0}-{1} of {2}"],
        "MudDataGridPager_AllItems" => L["All"],
        "MudDataGridPager_FirstPage" or "MudTablePager_FirstPage" => L["First page"],
        "MudDataGridPager_PreviousPage" or "MudTablePager_PreviousPage" => L["Previous page"],
        "MudDataGridPager_NextPage" or "MudTablePager_NextPage" => L["Next page"],
        "MudDataGridPager_LastPage" or "MudTablePager_LastPage" => L["Last page"],
        "MudDataGrid_Loading" => L["Loading…"],
        _ => base[key],
    };
}
