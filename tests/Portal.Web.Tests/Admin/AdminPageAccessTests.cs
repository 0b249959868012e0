using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Portal.Web.Tests.Admin;

/// <summary>Administration pages and the audit download are refused to the wrong roles in the browser (sent to "access denied").</summary>
public sealed class AdminPageAccessTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private static readonly string[] OrganisationPages = ["/admin/members", "/admin/api-keys", "/admin/templates", "/admin/audit", "/usage/organisation"];
    private static readonly string[] PlatformPages = ["/admin/tenants", "/admin/plans", "/usage/platform"];

    [Theory]
    [InlineData("member@bank.demo", true, true)]
    [InlineData("student@school.demo", true, true)]
    [InlineData("admin@hospital.demo", false, true)]
    [InlineData("admin@portal.local", false, false)]
    public async Task Each_role_reaches_exactly_its_administration_pages(string email, bool organisationRefused, bool platformRefused)
    {
        var browser = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Redirect, (await PortalWebFactory.LogInAsync(browser, email)).StatusCode);
        foreach (var (page, refused) in OrganisationPages.Select(p => (p, organisationRefused)).Concat(PlatformPages.Select(p => (p, platformRefused))))
        {
            var response = await browser.GetAsync(page);
            if (refused)
            {
                Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{email} {page}: {response.StatusCode}");
                Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{email} {page}: {response.StatusCode}");
            }
        }

        var export = await browser.GetAsync("/admin/audit/export.csv");
        Assert.Equal(organisationRefused ? HttpStatusCode.Redirect : HttpStatusCode.OK, export.StatusCode);
    }

}
