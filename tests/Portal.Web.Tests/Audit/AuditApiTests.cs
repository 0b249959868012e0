using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portal.Web.Tests.Audit;

/// <summary>The audit log over the API: tenant admins read their tenant's entries, platform admins all, nobody else; nothing can change it.</summary>
public sealed class AuditApiTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    [Fact]
    public async Task Admins_read_their_reach_of_the_log_and_members_are_refused()
    {
        // Something to audit in two tenants: API keys created by the hospital's and the bank's admins.
        var hospital = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        Assert.Equal(HttpStatusCode.Created, (await hospital.PostAsJsonAsync("/api/v1/api-keys", new { name = "nightly export" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await bank.PostAsJsonAsync("/api/v1/api-keys", new { name = "scoring job" })).StatusCode);

        var own = await hospital.GetFromJsonAsync<JsonElement>("/api/v1/admin/audit?pageSize=1000");
        var items = own.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(items, e => e.GetProperty("action").GetString()!.StartsWith("apikey.", StringComparison.Ordinal) && e.GetProperty("actor").GetString() == "admin@hospital.demo");
        Assert.All(items, e => Assert.Equal("St. Mary's Hospital", e.GetProperty("tenant").GetString()));
        Assert.Equal(items.Count, own.GetProperty("total").GetInt32());

        var filtered = await hospital.GetFromJsonAsync<JsonElement>("/api/v1/admin/audit?action=apikey.");
        Assert.All(filtered.GetProperty("items").EnumerateArray(), e => Assert.StartsWith("apikey.", e.GetProperty("action").GetString(), StringComparison.Ordinal));

        var platform = await factory.CreateApiClient(PortalWebFactory.PlatformAdminKey).GetFromJsonAsync<JsonElement>("/api/v1/admin/audit?action=apikey.&pageSize=1000");
        var tenants = platform.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("tenant").GetString()).ToHashSet();
        Assert.Contains("St. Mary's Hospital", tenants);
        Assert.Contains("Harbour Bank", tenants);

        Assert.Equal(HttpStatusCode.Forbidden, (await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey).GetAsync("/api/v1/admin/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await hospital.DeleteAsync("/api/v1/admin/audit")).StatusCode);
    }
}
