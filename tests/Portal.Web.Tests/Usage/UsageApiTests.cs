using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portal.Web.Tests.Usage;

/// <summary>The usage ledger over the API: each caller's reach, sums that equal the records, paging, bad input.</summary>
public sealed class UsageApiTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private static readonly object Row = new { age = 56, sex = 2, bmi = 32.1, bp = 101, tc = 157, ldl = 93.2, hdl = 38, tch = 4, ltg = 4.8598, glu = 87 };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task PredictTwiceAsync(HttpClient client)
    {
        for (var i = 0; i < 3; i++)
        {
            var response = await client.PostAsJsonAsync("/api/v1/templates/medical-diabetes-progression/predict", new { rows = new[] { Row, Row } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Members_see_their_records_admins_their_tenants_and_sums_equal_the_records()
    {
        var member = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        await PredictTwiceAsync(member);

        var mine = await JsonAsync(await member.GetAsync("/api/v1/usage?metric=PredictionRows"));
        var items = mine.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        Assert.All(items, i =>
        {
            Assert.Equal(2, i.GetProperty("amount").GetInt64());
            Assert.Equal("member@hospital.demo", i.GetProperty("user").GetString());
            Assert.Equal("St. Mary's Hospital", i.GetProperty("tenant").GetString());
            Assert.Equal("medical-diabetes-progression", i.GetProperty("templateId").GetString());
            Assert.Equal("Succeeded", i.GetProperty("outcome").GetString());
            Assert.StartsWith("Demo key (configured) (ptl_", i.GetProperty("apiKey").GetString(), StringComparison.Ordinal);
        });

        var byMetric = await JsonAsync(await member.GetAsync("/api/v1/usage?groupBy=metric"));
        var prediction = byMetric.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("metric").GetString() == "PredictionRows");
        Assert.Equal(items.Sum(i => i.GetProperty("amount").GetInt64()), prediction.GetProperty("amount").GetInt64());
        Assert.Equal(3, prediction.GetProperty("records").GetInt32());
        // Every metric but Requests (each of these GETs adds a request record as it finishes) sums to its records.
        var all = await JsonAsync(await member.GetAsync("/api/v1/usage?pageSize=1000"));
        foreach (var group in byMetric.GetProperty("groups").EnumerateArray().Where(g => g.GetProperty("metric").GetString() != "Requests"))
        {
            Assert.Equal(
                all.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("metric").GetString() == group.GetProperty("metric").GetString()).Sum(i => i.GetProperty("amount").GetInt64()),
                group.GetProperty("amount").GetInt64());
        }

        var byDay = await JsonAsync(await member.GetAsync("/api/v1/usage?groupBy=day&metric=PredictionRows"));
        Assert.Equal(6, byDay.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("amount").GetInt64()));

        // The hospital's admin sees the member's records; the bank's admin sees none of them; the platform sees all.
        var hospitalAdmin = await JsonAsync(await factory.CreateApiClient(PortalWebFactory.HospitalAdminKey).GetAsync("/api/v1/usage?groupBy=user&metric=PredictionRows"));
        Assert.Contains(hospitalAdmin.GetProperty("groups").EnumerateArray(), g => g.GetProperty("key").GetString() == "member@hospital.demo" && g.GetProperty("amount").GetInt64() >= 6);
        var bank = await JsonAsync(await factory.CreateApiClient(PortalWebFactory.BankAdminKey).GetAsync("/api/v1/usage?pageSize=1000"));
        Assert.DoesNotContain(bank.GetProperty("items").EnumerateArray(), i => i.GetProperty("tenant").GetString() != "Harbour Bank");
        var platform = await JsonAsync(await factory.CreateApiClient(PortalWebFactory.PlatformAdminKey).GetAsync("/api/v1/usage?metric=PredictionRows&pageSize=1000"));
        Assert.Contains(platform.GetProperty("items").EnumerateArray(), i => i.GetProperty("tenant").GetString() == "St. Mary's Hospital");
    }

    [Fact]
    public async Task Pages_link_to_the_next_and_bad_parameters_get_problem_details()
    {
        var member = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        await PredictTwiceAsync(member);
        var first = await JsonAsync(await member.GetAsync("/api/v1/usage?metric=PredictionRows&pageSize=2"));
        var next = first.GetProperty("nextPage").GetString()!;
        Assert.Contains("page=2", next, StringComparison.Ordinal);
        var second = await JsonAsync(await member.GetAsync(next));
        Assert.NotEqual(first.GetProperty("items")[0].GetProperty("timestamp").GetString(), second.GetProperty("items")[0].GetProperty("timestamp").GetString());

        var badGroup = await member.GetAsync("/api/v1/usage?groupBy=colour");
        Assert.Equal(HttpStatusCode.BadRequest, badGroup.StatusCode);
        Assert.Contains("groupBy is one of: day, user, template, metric", await badGroup.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await member.GetAsync("/api/v1/usage?from=2026-12-01&to=2026-11-01")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await member.GetAsync("/api/v1/usage?metric=Bananas")).StatusCode);
    }

    [Fact]
    public async Task A_window_given_with_a_time_zone_offset_means_the_same_instants()
    {
        var admin = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        await PredictTwiceAsync(admin);
        const string Utc = "metric=PredictionRows&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z"; // each call is itself metered as a request
        const string Shanghai = "metric=PredictionRows&from=2020-01-01T08:00:00%2B08:00&to=2030-01-01T08:00:00%2B08:00"; // stored times are UTC on every engine
        var byUtc = await JsonAsync(await admin.GetAsync($"/api/v1/usage?groupBy=metric&{Utc}"));
        var byShanghai = await admin.GetAsync($"/api/v1/usage?groupBy=metric&{Shanghai}");
        Assert.Equal(HttpStatusCode.OK, byShanghai.StatusCode);
        Assert.Equal(byUtc.GetProperty("groups").GetRawText(), (await JsonAsync(byShanghai)).GetProperty("groups").GetRawText());
        Assert.Equal(
            (await JsonAsync(await admin.GetAsync($"/api/v1/usage?pageSize=1000&{Utc}"))).GetProperty("items").GetArrayLength(),
            (await JsonAsync(await admin.GetAsync($"/api/v1/usage?pageSize=1000&{Shanghai}"))).GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/admin/audit?from=2020-01-01T08:00:00%2B08:00&to=2030-01-01T08:00:00%2B08:00")).StatusCode);
    }
}
