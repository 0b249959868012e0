using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Portal.Web.Tests.Localization;

/// <summary>MudBlazor's own texts (the grid pager) follow the portal's language.</summary>
public sealed class MudTextTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    [Theory]
    [InlineData("zh-CN", "每页行数：", "第 {0}-{1} 行，共 {2} 行", "下一页")]
    [InlineData("en", "Rows per page:", "{0}-{1} of {2}", "Next page")]
    public void The_grid_pager_speaks_the_users_language(string culture, string rowsPerPage, string info, string next)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            using var scope = factory.Services.CreateScope();
            var mud = scope.ServiceProvider.GetRequiredService<MudLocalizer>();
            Assert.Equal(rowsPerPage, mud["MudDataGridPager_RowsPerPage"].Value);
            Assert.Equal(info, mud["MudDataGridPager_InfoFormat"].Value);
            Assert.Equal(string.Format(CultureInfo.InvariantCulture, info, 1, 25, 800), mud["MudDataGridPager_InfoFormat", 1, 25, 800].Value); // as the pager asks
            Assert.Equal(next, mud["MudDataGridPager_NextPage"].Value);
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }
}
