using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Portal.Core.Quotas;
using Portal.Web.Datasets;

namespace Portal.Web.Tests.Datasets;

/// <summary>
/// The datasets page's upload over plain HTTP: the signed-in cookie and an antiforgery token in a header; the answer
/// is the stored dataset or the reason in the caller's language, and a refused upload keeps and charges nothing.
/// </summary>
public sealed class BrowserUploadTests : IAsyncLifetime
{
    private readonly PortalWebFactory _factory = new();

    public Task InitializeAsync()
    {
        _factory.Settings["Portal:Uploads:MaxBytes"] = "4000";
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(HttpClient Browser, string Token)> SignInAsync(string email, string culture)
    {
        var browser = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        browser.DefaultRequestHeaders.Add("Cookie", $".AspNetCore.Culture=c={culture}|uic={culture}");
        Assert.Equal(HttpStatusCode.Redirect, (await PortalWebFactory.LogInAsync(browser, email)).StatusCode);
        // A token made for the signed-in user, as the page holds it.
        var page = await browser.GetStringAsync("/Account/Manage");
        return (browser, Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value);
    }

    private static HttpRequestMessage Upload(string fileName, byte[] content, string? token)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", fileName);
        var request = new HttpRequestMessage(HttpMethod.Post, BrowserUpload.Path) { Content = form };
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        return request;
    }

    private static async Task<BrowserUploadResult> ResultAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<BrowserUploadResult>(new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

    private async Task<(int Datasets, long StorageBytes)> HoldingsAsync()
    {
        var api = _factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var datasets = (await api.GetFromJsonAsync<JsonElement>("/api/v1/datasets")).GetArrayLength();
        var me = await api.GetFromJsonAsync<JsonElement>("/api/v1/me");
        var storage = me.GetProperty("quota").GetProperty("user").EnumerateArray()
            .Single(l => l.GetProperty("metric").GetString() == nameof(QuotaMetric.StorageBytes)).GetProperty("used").GetInt64();
        return (datasets, storage);
    }

    [Fact]
    public async Task A_signed_in_upload_with_its_token_is_stored_and_anything_else_is_refused_with_nothing_kept()
    {
        var (browser, token) = await SignInAsync("member@hospital.demo", "en");
        Assert.NotEmpty(token);
        var csv = Encoding.UTF8.GetBytes("age,bmi\n50,24.1\n61,30.2\n");

        var stored = await browser.SendAsync(Upload("patients.csv", csv, token));
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        var dataset = await ResultAsync(stored);
        Assert.Equal(("patients", 2, null), (dataset.Name, dataset.Rows, dataset.Error));
        var api = _factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/datasets/{dataset.Id}")).StatusCode); // the member's own dataset
        var before = await HoldingsAsync();

        var noToken = await browser.SendAsync(Upload("patients.csv", csv, null));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.Equal("The page has expired. Reload it and try again.", (await ResultAsync(noToken)).Error);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.SendAsync(Upload("patients.csv", csv, "not-a-token"))).StatusCode);

        var binary = await browser.SendAsync(Upload("photo.csv", [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0], token));
        Assert.Equal(HttpStatusCode.BadRequest, binary.StatusCode);
        Assert.Contains("binary file", (await ResultAsync(binary)).Error, StringComparison.Ordinal);

        var large = await browser.SendAsync(Upload("large.csv", Encoding.UTF8.GetBytes("age,bmi\n" + string.Concat(Enumerable.Repeat("50,24.1\n", 1000))), token));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Contains("upload limit", (await ResultAsync(large)).Error, StringComparison.Ordinal);

        // Not the API: an API key is no way in.
        var withKey = await api.SendAsync(Upload("patients.csv", csv, token));
        Assert.Equal(HttpStatusCode.Redirect, withKey.StatusCode);
        Assert.StartsWith("/Account/Login", withKey.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(before, await HoldingsAsync());
    }

    [Fact]
    public async Task A_refusal_is_worded_in_the_callers_language()
    {
        var (browser, token) = await SignInAsync("member@hospital.demo", "zh-CN");
        var large = await browser.SendAsync(Upload("large.csv", Encoding.UTF8.GetBytes("age,bmi\n" + string.Concat(Enumerable.Repeat("50,24.1\n", 1000))), token));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Contains("上传上限", (await ResultAsync(large)).Error, StringComparison.Ordinal);
        Assert.Equal("页面已过期，请刷新后重试。", (await ResultAsync(await browser.SendAsync(Upload("a.csv", [65], null)))).Error);
        Assert.Equal("这是二进制文件，不是 CSV 文本（包含 NUL 字节）。", (await ResultAsync(await browser.SendAsync(Upload("photo.csv", [0x89, 0x50, 0, 0], token)))).Error);
    }
}
