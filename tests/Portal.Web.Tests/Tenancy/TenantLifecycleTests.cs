using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;

namespace Portal.Web.Tests.Tenancy;

/// <summary>Platform admins rename, deactivate and reactivate tenants; a deactivated tenant's keys and sessions are refused, nothing is deleted.</summary>
public sealed class TenantLifecycleTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private async Task<Guid> TenantIdAsync(string slug)
    {
        await using var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        return await db.Tenants.Where(t => t.Slug == slug).Select(t => t.Id).SingleAsync();
    }

    private async Task<List<string>> AuditActionsAsync(Guid tenantId)
    {
        await using var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        return await db.AuditEntries.Where(a => a.TenantId == tenantId).Select(a => a.Action).ToListAsync();
    }

    [Fact]
    public async Task A_deactivated_tenants_api_keys_are_refused_with_a_clear_message_until_it_is_reactivated()
    {
        var platform = factory.CreateApiClient(PortalWebFactory.PlatformAdminKey);
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        var bankId = await TenantIdAsync("bank");
        Assert.Equal(HttpStatusCode.OK, (await bank.GetAsync("/api/v1/me")).StatusCode);

        var renamed = await platform.PatchAsJsonAsync($"/api/v1/admin/tenants/{bankId}", new { name = "Harbour Bank plc" });
        Assert.Equal("Harbour Bank plc", (await renamed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());

        var off = await platform.PatchAsJsonAsync($"/api/v1/admin/tenants/{bankId}", new { isActive = false });
        Assert.False((await off.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("isActive").GetBoolean());
        var refused = await bank.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("'Harbour Bank plc' has been deactivated", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await platform.PatchAsJsonAsync($"/api/v1/admin/tenants/{bankId}", new { isActive = true })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bank.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(["tenant.renamed", "tenant.deactivated", "tenant.activated"], (await AuditActionsAsync(bankId)).Where(a => a.StartsWith("tenant.", StringComparison.Ordinal) && a != "tenant.created"));

        // Others may not; the platform's own tenant cannot be switched off by its admins.
        Assert.Equal(HttpStatusCode.Forbidden, (await bank.PatchAsJsonAsync($"/api/v1/admin/tenants/{bankId}", new { isActive = false })).StatusCode);
        var own = await platform.PatchAsJsonAsync($"/api/v1/admin/tenants/{await TenantIdAsync("platform")}", new { isActive = false });
        Assert.Equal(HttpStatusCode.BadRequest, own.StatusCode);
        Assert.Contains("cannot deactivate your own organisation", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deactivated_tenants_browser_session_ends_at_its_next_request_and_signing_in_again_says_why()
    {
        var browser = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Redirect, (await PortalWebFactory.LogInAsync(browser, "member@school.demo")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/usage")).StatusCode);

        var schoolId = await TenantIdAsync("school");
        var platform = factory.CreateApiClient(PortalWebFactory.PlatformAdminKey);
        await platform.PatchAsJsonAsync($"/api/v1/admin/tenants/{schoolId}", new { isActive = false });
        try
        {
            var next = await browser.GetAsync("/usage");
            Assert.Equal(HttpStatusCode.Redirect, next.StatusCode);
            Assert.StartsWith("/Account/Login", next.Headers.Location!.PathAndQuery, StringComparison.Ordinal);

            var again = await PortalWebFactory.LogInAsync(browser, "member@school.demo");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Contains("Your organisation has been deactivated", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains("signin.refused-deactivated", await AuditActionsAsync(schoolId));
        }
        finally
        {
            await platform.PatchAsJsonAsync($"/api/v1/admin/tenants/{schoolId}", new { isActive = true });
        }
    }

}
