using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Core.Quotas;

namespace Portal.Web.Tests.Api;

/// <summary>Templates and predict through the real pipeline: validation, metering, explanations, limits.</summary>
public sealed class TemplateApiTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private static readonly Dictionary<string, object> Applicant = new()
    {
        ["duration_months"] = 48, ["credit_amount"] = 12000, ["installment_rate_pct"] = 4, ["residence_years"] = 2, ["age"] = 23,
        ["existing_credits"] = 1, ["people_liable"] = 1, ["telephone"] = "none", ["foreign_worker"] = "yes", ["checking_account"] = "lt_0",
        ["credit_history"] = "critical", ["purpose"] = "usedcar", ["savings"] = "lt_100", ["employment_years"] = "lt_1",
        ["personal_status"] = "male_single", ["other_debtors"] = "none", ["property"] = "unknown", ["other_installment_plans"] = "bank",
        ["housing"] = "rent", ["job"] = "skilledemployee",
    };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task<long> PredictionRowsUsedAsync(HttpClient client)
    {
        var me = await JsonAsync(await client.GetAsync("/api/v1/me"));
        return me.GetProperty("quota").GetProperty("user").EnumerateArray()
            .Single(l => l.GetProperty("metric").GetString() == nameof(QuotaMetric.PredictionRows)).GetProperty("used").GetInt64();
    }

    [Fact]
    public async Task Lists_the_templates_with_their_headline_metrics()
    {
        var list = await JsonAsync(await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey).GetAsync("/api/v1/templates"));
        Assert.Equal(
            ["education-assistant", "education-student-performance", "finance-credit-risk", "finance-loan-copilot", "medical-breast-cancer", "medical-diabetes-progression", "medical-note-summary"],
            list.EnumerateArray().Select(t => t.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        var credit = list.EnumerateArray().Single(t => t.GetProperty("id").GetString() == "finance-credit-risk");
        Assert.True(credit.GetProperty("validation").GetProperty("auc").GetDouble() >= 0.75);
        Assert.Equal("贷款申请信用风险", credit.GetProperty("title").GetProperty("zh-CN").GetString());
    }

    [Fact]
    public async Task Predict_answers_in_input_order_with_explanations_and_charges_one_row_each()
    {
        var client = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var before = await PredictionRowsUsedAsync(client);
        var safe = new Dictionary<string, object>(Applicant)
        {
            ["checking_account"] = "none", ["credit_history"] = "paidduly", ["duration_months"] = 12, ["credit_amount"] = 1500,
            ["savings"] = "gt_1000", ["property"] = "realestate", ["other_installment_plans"] = "none", ["housing"] = "own", ["employment_years"] = "gt_7", ["age"] = 45,
        };

        var response = await client.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict?explain=true", new { rows = new[] { Applicant, safe } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(2, predictions.Count);
        Assert.Equal("bad", predictions[0].GetProperty("label").GetString());
        Assert.Equal("good", predictions[1].GetProperty("label").GetString());
        Assert.True(predictions[0].GetProperty("probability").GetDouble() > predictions[1].GetProperty("probability").GetDouble());
        Assert.False(predictions[0].TryGetProperty("value", out _));
        var top = predictions[0].GetProperty("contributions")[0];
        Assert.Equal("checking_account", top.GetProperty("feature").GetString());
        Assert.True(top.GetProperty("effect").GetDouble() > 0);
        Assert.StartsWith("1.", body.GetProperty("modelVersion").GetString(), StringComparison.Ordinal);

        Assert.Equal(before + 2, await PredictionRowsUsedAsync(client));
    }

    [Fact]
    public async Task Regression_answers_a_value()
    {
        var row = new Dictionary<string, object> { ["age"] = 56, ["sex"] = 2, ["bmi"] = 32.1, ["bp"] = 101, ["tc"] = 157, ["ldl"] = 93.2, ["hdl"] = 38, ["tch"] = 4, ["ltg"] = 4.8598, ["glu"] = 87 };
        var body = await JsonAsync(await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey)
            .PostAsJsonAsync("/api/v1/templates/medical-diabetes-progression/predict", new { rows = new[] { row } }));
        var value = body.GetProperty("predictions")[0].GetProperty("value").GetDouble();
        Assert.InRange(value, 25, 346);
        Assert.False(body.GetProperty("predictions")[0].TryGetProperty("label", out _));
    }

    [Fact]
    public async Task Invalid_rows_get_400_listing_each_error_and_nothing_is_charged()
    {
        var client = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var before = await PredictionRowsUsedAsync(client);
        var bad = new Dictionary<string, object>(Applicant) { ["age"] = 500, ["housing"] = "castle" };

        var response = await client.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", new { rows = new[] { Applicant, bad } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await JsonAsync(response)).GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("row").GetInt32(), e.GetProperty("column").GetString())).ToList();
        Assert.Equal([(2, "age"), (2, "housing")], errors);
        Assert.Equal(before, await PredictionRowsUsedAsync(client));
    }

    [Fact]
    public async Task More_than_a_thousand_rows_get_413_and_unknown_templates_404()
    {
        var client = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var tooMany = await client.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", new { rows = Enumerable.Repeat(Applicant, 1001) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);
        Assert.Contains("at most 1000", (await JsonAsync(tooMany)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        var unknown = await client.PostAsJsonAsync("/api/v1/templates/no-such-template/predict", new { rows = new[] { Applicant } });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var empty = await client.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", new { rows = Array.Empty<object>() });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task The_sample_file_downloads_with_the_data_sets_own_columns()
    {
        var response = await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey).GetAsync("/api/v1/templates/medical-breast-cancer/sample");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(21, lines.Length);
        Assert.StartsWith("radius_mean,texture_mean,", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",diagnosis", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Students_cannot_use_the_business_templates()
    {
        var response = await factory.CreateApiClient(PortalWebFactory.StudentKey).GetAsync("/api/v1/templates");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
