using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.Data;
using Portal.Core.Quotas;

namespace Portal.Web.Tests.Api;

/// <summary>The HTTP API through the real pipeline (authentication, tenancy, metering, problem details) on SQLite.</summary>
public sealed class ApiTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/> and returns its body.</summary>
    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await JsonAsync(response);
    }

    private async Task<string> UserIdAsync(string email)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(email))!.Id;
    }

    [Fact]
    public async Task Health_reports_the_database_reachable()
    {
        var response = await factory.CreateClient().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Me_returns_user_tenant_roles_and_quota_and_counts_the_request()
    {
        var client = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var first = await JsonAsync(await client.GetAsync("/api/v1/me"));
        var second = await JsonAsync(await client.GetAsync("/api/v1/me"));

        Assert.Equal("admin@hospital.demo", first.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal("St. Mary's Hospital", first.GetProperty("tenant").GetProperty("name").GetString());
        Assert.Equal(["TenantAdmin"], first.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("api", first.GetProperty("channel").GetString());

        static long RequestsUsed(JsonElement me) => me.GetProperty("quota").GetProperty("user").EnumerateArray()
            .Single(l => l.GetProperty("metric").GetString() == "Requests").GetProperty("used").GetInt64();
        Assert.Equal(RequestsUsed(first) + 1, RequestsUsed(second));
        var rows = first.GetProperty("quota").GetProperty("tenant").EnumerateArray().Single(l => l.GetProperty("metric").GetString() == "PredictionRows");
        Assert.Equal(2_000_000, rows.GetProperty("limit").GetInt64());
    }

    [Theory]
    [InlineData(null, "Send an API key")]
    [InlineData("ptl_this-key-was-never-issued-0123456789", "not valid")]
    [InlineData("Basic-garbage", "Send an API key")]
    public async Task Calls_without_a_valid_key_get_401_problem_details(string? key, string detail)
    {
        var client = factory.CreateApiClient(null);
        if (key is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", key.StartsWith("ptl_", StringComparison.Ordinal) ? "Bearer " + key : key);
        }

        var response = await client.GetAsync("/api/v1/me");
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(detail, (await JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_created_over_the_api_works_until_it_is_revoked()
    {
        var admin = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var created = await admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "ci pipeline" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await JsonAsync(created);
        var secret = body.GetProperty("secret").GetString()!;
        var id = body.GetProperty("id").GetGuid();

        var withNewKey = factory.CreateApiClient(secret);
        Assert.Equal(HttpStatusCode.OK, (await withNewKey.GetAsync("/api/v1/me")).StatusCode);
        var listed = await JsonAsync(await admin.GetAsync("/api/v1/api-keys"));
        Assert.DoesNotContain(secret, listed.GetRawText(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/api-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withNewKey.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task An_empty_key_name_is_a_validation_problem()
    {
        var response = await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey).PostAsJsonAsync("/api/v1/api-keys", new { name = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Over_the_request_quota_the_api_answers_429_naming_metric_limit_and_reset()
    {
        var userId = await UserIdAsync("student@school.demo");
        await using (var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var tenantId = db.Users.Single(u => u.Id == userId).TenantId;
            db.QuotaLimits.Add(new QuotaLimit { TenantId = tenantId, Scope = QuotaScope.User, SubjectId = userId, Metric = QuotaMetric.Requests, PeriodLimit = 2 });
            await db.SaveChangesAsync();
        }

        var client = factory.CreateApiClient(PortalWebFactory.StudentKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
        var refused = await client.GetAsync("/api/v1/me");

        await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var problem = await JsonAsync(refused);
        Assert.Equal("Requests", problem.GetProperty("metric").GetString());
        Assert.Equal(2, problem.GetProperty("limit").GetInt64());
        Assert.Equal(0, problem.GetProperty("remaining").GetInt64());
        Assert.Equal("user", problem.GetProperty("scope").GetString());
        Assert.True(problem.GetProperty("resetsAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Members_cannot_use_admin_endpoints()
    {
        var member = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var response = await member.GetAsync("/api/v1/members");
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/api/v1/admin/tenants")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_cannot_see_or_change_members_of_another_tenant()
    {
        var hospitalMember = await UserIdAsync("member@hospital.demo");
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);

        var listed = await JsonAsync(await bank.GetAsync("/api/v1/members"));
        var emails = listed.EnumerateArray().Select(m => m.GetProperty("email").GetString()).ToList();
        Assert.Contains("member@bank.demo", emails);
        Assert.DoesNotContain(emails, e => e!.EndsWith("@hospital.demo", StringComparison.Ordinal));

        var change = await bank.PutAsJsonAsync($"/api/v1/members/{hospitalMember}/role", new { role = "TenantAdmin" });
        Assert.Equal(HttpStatusCode.BadRequest, change.StatusCode);
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        Assert.Equal(["Member"], await users.GetRolesAsync((await users.FindByIdAsync(hospitalMember))!));
    }

    [Fact]
    public async Task A_tenant_admin_adds_a_member_who_can_then_sign_in_with_the_password()
    {
        var admin = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var response = await admin.PostAsJsonAsync("/api/v1/members", new { email = "nurse@hospital.demo", displayName = "Nurse", role = "Member", password = "Nurse!Pass1" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var nurse = await users.FindByEmailAsync("nurse@hospital.demo");
        Assert.True(await users.CheckPasswordAsync(nurse!, "Nurse!Pass1"));
        var hospitalAdmin = await users.FindByEmailAsync("admin@hospital.demo");
        Assert.Equal(hospitalAdmin!.TenantId, nurse!.TenantId);

        var again = await admin.PostAsJsonAsync("/api/v1/members", new { email = "nurse@hospital.demo", role = "Member", password = "Nurse!Pass1" });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task Only_platform_admins_create_tenants_over_the_api()
    {
        var platform = factory.CreateApiClient(PortalWebFactory.PlatformAdminKey);
        var created = await platform.PostAsJsonAsync("/api/v1/admin/tenants", new { name = "Clinic North", slug = "clinic-north", plan = "Free" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var duplicate = await platform.PostAsJsonAsync("/api/v1/admin/tenants", new { name = "Clinic North", slug = "clinic-north", plan = "Free" });
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        var all = await JsonAsync(await platform.GetAsync("/api/v1/admin/tenants"));
        Assert.Contains(all.EnumerateArray(), t => t.GetProperty("slug").GetString() == "clinic-north");

        var tenantAdmin = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenantAdmin.PostAsJsonAsync("/api/v1/admin/tenants", new { name = "X", slug = "xx" })).StatusCode);
    }

    [Fact]
    public async Task Unknown_api_routes_and_malformed_bodies_get_problem_details_not_pages()
    {
        var client = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var missing = await client.GetAsync("/api/v1/no-such-thing");
        await AssertProblemAsync(missing, HttpStatusCode.NotFound);

        var malformed = await client.PostAsync("/api/v1/api-keys", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest);
        Assert.DoesNotContain("   at ", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_and_reference_page_are_served()
    {
        var client = factory.CreateClient();
        var doc = await JsonAsync(await client.GetAsync("/openapi/v1.json"));
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/v1/me", out _));
        Assert.True(doc.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("ApiKey", out _));
        var reference = await client.GetAsync("/api-reference");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
    }

    [Fact]
    public async Task Unknown_pages_answer_404_with_the_not_found_page()
    {
        var response = await factory.CreateClient().GetAsync("/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("There is nothing at this address.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_need_sign_in_and_redirect_to_the_login_page()
    {
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync("/usage");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Login")).StatusCode);
    }
}
