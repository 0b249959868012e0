using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Data;
using Portal.Core.Tenancy;

namespace Portal.Web.Tests.Admin;

/// <summary>The administration API under /api/v1/admin through the real pipeline: limits, rate limits, template access, members, audit export.</summary>
public sealed class AdminApiTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private static readonly object OneCreditRow = new
    {
        rows = new[]
        {
            new Dictionary<string, object>
            {
                ["duration_months"] = 48, ["credit_amount"] = 12000, ["installment_rate_pct"] = 4, ["residence_years"] = 2, ["age"] = 23,
                ["existing_credits"] = 1, ["people_liable"] = 1, ["telephone"] = "none", ["foreign_worker"] = "yes", ["checking_account"] = "lt_0",
                ["credit_history"] = "critical", ["purpose"] = "usedcar", ["savings"] = "lt_100", ["employment_years"] = "lt_1",
                ["personal_status"] = "male_single", ["other_debtors"] = "none", ["property"] = "unknown", ["other_installment_plans"] = "bank",
                ["housing"] = "rent", ["job"] = "skilledemployee",
            },
        },
    };

    private async Task<Guid> TenantIdAsync(string slug)
    {
        await using var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        return await db.Tenants.Where(t => t.Slug == slug).Select(t => t.Id).SingleAsync();
    }

    /// <summary>A new member of the bank (added over the API) and an API client with a fresh key of theirs.</summary>
    private async Task<(string UserId, Guid KeyId, HttpClient Client)> NewBankMemberAsync(string email)
    {
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        var added = await bank.PostAsJsonAsync("/api/v1/admin/members", new { email, role = "Member", password = "Member!Pass1" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var userId = (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("userId").GetString()!;
        var key = await NewKeyAsync(userId);
        return (userId, key.Id, factory.CreateApiClient(key.Secret));
    }

    private async Task<CreatedApiKey> NewKeyAsync(string userId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        await using var db = scope.ServiceProvider.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var user = await db.Users.SingleAsync(u => u.Id == userId);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == userId select r.Name!).ToListAsync();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Set(new Caller(userId, user.TenantId, roles));
        return await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync("script " + Guid.NewGuid().ToString("N")[..6]);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task A_key_over_its_requests_per_minute_gets_429_with_retry_after_while_its_owners_other_key_goes_on()
    {
        var (userId, keyId, client) = await NewBankMemberAsync("ratelimited@bank.demo");
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        var set = await bank.PutAsJsonAsync($"/api/v1/admin/limits/keys/{keyId}/Requests", new { perMinute = 3 });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
        }

        var refused = await client.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retry = refused.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(retry.TotalSeconds, 1, 60);
        var problem = await JsonAsync(refused);
        Assert.Equal(("key", "minute", 3), (problem.GetProperty("scope").GetString(), problem.GetProperty("period").GetString(), problem.GetProperty("limit").GetInt32()));
        Assert.Contains("3 requests per minute", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The rate-limited calls were not charged: three requests are in the ledger, not four.
        var records = await JsonAsync(await bank.GetAsync($"/api/v1/usage?metric=Requests&userId={userId}"));
        Assert.Equal(3, records.GetProperty("items").EnumerateArray().Sum(i => i.GetProperty("amount").GetInt64()));
        var byKey = await JsonAsync(await bank.GetAsync($"/api/v1/usage?metric=Requests&groupBy=apiKey&userId={userId}"));
        Assert.Equal(3, Assert.Single(byKey.GetProperty("groups").EnumerateArray()).GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task A_users_requests_per_minute_cover_all_their_keys()
    {
        var (userId, _, first) = await NewBankMemberAsync("userrate@bank.demo");
        var second = factory.CreateApiClient((await NewKeyAsync(userId)).Secret);
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        Assert.Equal(HttpStatusCode.OK, (await bank.PutAsJsonAsync($"/api/v1/admin/limits/users/{userId}/Requests", new { perMinute = 2 })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/v1/me")).StatusCode);
        var refused = await second.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("user", (await JsonAsync(refused)).GetProperty("scope").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_monthly_key_cap_refuses_predictions_with_the_keys_scope_and_the_refusal_shows_in_failed_calls()
    {
        var (_, keyId, client) = await NewBankMemberAsync("keycap@bank.demo");
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        Assert.Equal(HttpStatusCode.OK, (await bank.PutAsJsonAsync($"/api/v1/admin/limits/keys/{keyId}/PredictionRows", new { period = 1 })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", OneCreditRow)).StatusCode);
        var refused = await client.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", OneCreditRow);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var problem = await JsonAsync(refused);
        Assert.Equal(("key", "PredictionRows", 1), (problem.GetProperty("scope").GetString(), problem.GetProperty("metric").GetString(), problem.GetProperty("limit").GetInt32()));

        var failed = await JsonAsync(await bank.GetAsync("/api/v1/usage?failedOnly=true&metric=PredictionRows"));
        var item = Assert.Single(failed.GetProperty("items").EnumerateArray(), i => i.GetProperty("user").GetString() == "keycap@bank.demo");
        Assert.Equal(("Refused", 0), (item.GetProperty("outcome").GetString(), item.GetProperty("amount").GetInt32()));
    }

    [Fact]
    public async Task Limits_above_the_level_above_are_refused_with_a_clear_message()
    {
        var (userId, keyId, _) = await NewBankMemberAsync("ceiling@bank.demo");
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        var tooHigh = await bank.PutAsJsonAsync($"/api/v1/admin/limits/users/{userId}/PredictionRows", new { period = 999_999_999 });
        Assert.Equal(HttpStatusCode.BadRequest, tooHigh.StatusCode);
        Assert.Contains("cannot be above the organisation's", (await JsonAsync(tooHigh)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        var user = await JsonAsync(await bank.PutAsJsonAsync($"/api/v1/admin/limits/users/{userId}/PredictionRows", new { period = 500 }));
        var line = user.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("metric").GetString() == "PredictionRows");
        Assert.Equal(500, line.GetProperty("effective").GetProperty("period").GetInt64());
        var keyTooHigh = await bank.PutAsJsonAsync($"/api/v1/admin/limits/keys/{keyId}/PredictionRows", new { period = 501 });
        Assert.Contains("cannot be above its owner's", (await JsonAsync(keyTooHigh)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var badMetric = await bank.PutAsJsonAsync($"/api/v1/admin/limits/keys/{keyId}/Bananas", new { period = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, badMetric.StatusCode);
    }

    [Fact]
    public async Task Admin_endpoints_answer_403_to_the_wrong_roles()
    {
        var member = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var hospital = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var bankId = await TenantIdAsync("bank");
        foreach (var path in new[] { "/api/v1/admin/limits/users", "/api/v1/admin/api-keys", "/api/v1/admin/members", "/api/v1/admin/templates", "/api/v1/admin/audit", "/api/v1/admin/audit/export.csv", "/api/v1/admin/plans" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync(path)).StatusCode);
        }

        foreach (var path in new[] { "/api/v1/admin/plans", $"/api/v1/admin/tenants/{bankId}/limits", $"/api/v1/admin/tenants/{bankId}/templates", "/api/v1/admin/usage/tenants" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await hospital.GetAsync(path)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await hospital.PutAsJsonAsync($"/api/v1/admin/tenants/{bankId}/limits/Requests", new { period = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hospital.PutAsJsonAsync($"/api/v1/admin/tenants/{bankId}/plan", new { plan = "Free" })).StatusCode);
    }

    [Fact]
    public async Task A_platform_admin_creates_a_plan_assigns_it_and_overrides_one_metric()
    {
        var platform = factory.CreateApiClient(PortalWebFactory.PlatformAdminKey);
        var created = await platform.PostAsJsonAsync("/api/v1/admin/plans", new
        {
            name = "Clinic",
            limits = new Dictionary<string, object> { ["Requests"] = new { period = 20_000, perMinute = 120 }, ["PredictionRows"] = new { period = 50_000 } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var hospitalId = await TenantIdAsync("hospital");
        var limits = await JsonAsync(await platform.PutAsJsonAsync($"/api/v1/admin/tenants/{hospitalId}/plan", new { plan = "Clinic" }));
        Assert.Equal(50_000, Line(limits, "PredictionRows").GetProperty("effective").GetProperty("period").GetInt64());

        limits = await JsonAsync(await platform.PutAsJsonAsync($"/api/v1/admin/tenants/{hospitalId}/limits/PredictionRows", new { period = 75_000 }));
        Assert.Equal((75_000L, 50_000L), (Line(limits, "PredictionRows").GetProperty("effective").GetProperty("period").GetInt64(), Line(limits, "PredictionRows").GetProperty("above").GetProperty("period").GetInt64()));

        var me = await JsonAsync(await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey).GetAsync("/api/v1/me"));
        Assert.Contains("75000", me.GetRawText(), StringComparison.Ordinal);
        var plans = await JsonAsync(await platform.GetAsync("/api/v1/admin/plans"));
        Assert.Equal(1, plans.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Clinic").GetProperty("tenants").GetInt32());

        var duplicate = await platform.PostAsJsonAsync("/api/v1/admin/plans", new { name = "Clinic" });
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);

        await using var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var actions = await db.AuditEntries.Where(e => e.Action.StartsWith("quota.")).Select(e => e.Action).ToListAsync();
        Assert.Contains("quota.plan-created", actions);
        Assert.Contains("quota.plan-assigned", actions);
        Assert.Contains("quota.tenant-override", actions);

        static JsonElement Line(JsonElement limits, string metric) => limits.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("metric").GetString() == metric);
    }

    [Fact]
    public async Task Template_access_is_decided_by_the_platform_and_narrowed_by_the_tenant_admin()
    {
        var platform = factory.CreateApiClient(PortalWebFactory.PlatformAdminKey);
        var hospital = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var member = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var hospitalId = await TenantIdAsync("hospital");
        try
        {
            var allowed = await platform.PutAsJsonAsync($"/api/v1/admin/tenants/{hospitalId}/templates", new { allowed = new[] { "medical-breast-cancer", "medical-diabetes-progression" } });
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal(["medical-breast-cancer", "medical-diabetes-progression"], await TemplateIdsAsync(member));

            var refused = await member.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", OneCreditRow);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("does not have access to the template 'finance-credit-risk'", (await JsonAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/api/v1/templates/finance-credit-risk")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/api/v1/templates/finance-credit-risk/sample")).StatusCode);

            // The tenant admin switches one of the allowed templates off for members; one outside the allowance cannot be switched on.
            var narrowed = await JsonAsync(await hospital.PutAsJsonAsync("/api/v1/admin/templates", new { disabled = new[] { "medical-diabetes-progression" } }));
            Assert.Equal(["medical-breast-cancer"], await TemplateIdsAsync(member));
            Assert.False(narrowed.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "finance-credit-risk").GetProperty("allowedByPlatform").GetBoolean());
            var unknown = await hospital.PutAsJsonAsync("/api/v1/admin/templates", new { disabled = new[] { "no-such-template" } });
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

            // Runs are refused up front as well.
            using var form = new MultipartFormDataContent
            {
                { new StringContent("medical-diabetes-progression"), "templateId" },
                { new ByteArrayContent("age,sex,bmi,bp,tc,ldl,hdl,tch,ltg,glu\n59,2,32.1,101,157,93.2,38,4,4.8598,87\n"u8.ToArray()), "file", "d.csv" },
            };
            Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsync("/api/v1/runs", form)).StatusCode);

            await using var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
            var audit = await db.AuditEntries.Where(e => e.TenantId == hospitalId && e.Action.StartsWith("templates.")).OrderBy(e => e.Id).ToListAsync();
            Assert.Equal(("templates.allowed-changed", "all", "medical-breast-cancer,medical-diabetes-progression"), (audit[0].Action, audit[0].Before, audit[0].After));
            Assert.Equal("templates.disabled-changed", audit[1].Action);
        }
        finally
        {
            await platform.PutAsJsonAsync($"/api/v1/admin/tenants/{hospitalId}/templates", new { allowed = (string[]?)null });
            await hospital.PutAsJsonAsync("/api/v1/admin/templates", new { disabled = Array.Empty<string>() });
        }

        Assert.Equal(factory.Services.GetRequiredService<Portal.Core.Templates.ITemplateCatalog>().All.Count, (await TemplateIdsAsync(member)).Count);

        static async Task<List<string>> TemplateIdsAsync(HttpClient client) =>
            [.. (await client.GetFromJsonAsync<JsonElement>("/api/v1/templates")).EnumerateArray().Select(t => t.GetProperty("id").GetString()!).Order()];
    }

    [Fact]
    public async Task Locking_and_removing_a_member_stops_their_keys_and_is_audited_and_other_tenants_members_are_out_of_reach()
    {
        var (userId, _, client) = await NewBankMemberAsync("leaver@bank.demo");
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await bank.PostAsync($"/api/v1/admin/members/{userId}/lock", null)).StatusCode);
        var locked = await client.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await bank.PostAsync($"/api/v1/admin/members/{userId}/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);

        // Another organisation's admin cannot touch this member.
        var hospital = factory.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var foreign = await hospital.DeleteAsync($"/api/v1/admin/members/{userId}");
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Contains("No such member", await foreign.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await bank.DeleteAsync($"/api/v1/admin/members/{userId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
        var members = await JsonAsync(await bank.GetAsync("/api/v1/admin/members"));
        Assert.DoesNotContain(members.EnumerateArray(), m => m.GetProperty("email").GetString() == "leaver@bank.demo");
        var keys = await JsonAsync(await bank.GetAsync("/api/v1/admin/api-keys"));
        Assert.All(keys.EnumerateArray().Where(k => k.GetProperty("userId").GetString() == userId), k => Assert.False(k.GetProperty("isActive").GetBoolean()));

        var audit = await JsonAsync(await bank.GetAsync("/api/v1/admin/audit?action=member.&search=leaver@bank.demo"));
        Assert.Equal(["member.removed", "member.unlocked", "member.locked", "member.added"], audit.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("action").GetString()!));
    }

    [Fact]
    public async Task The_audit_export_is_csv_of_the_filtered_entries()
    {
        var (userId, _, _) = await NewBankMemberAsync("exported@bank.demo");
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        await bank.PutAsJsonAsync($"/api/v1/admin/limits/users/{userId}/PredictionRows", new { period = 10 });

        var response = await bank.GetAsync("/api/v1/admin/audit/export.csv?action=quota.&search=exported@bank.demo");
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("timestamp,tenant,actor,action,target,before,after,ipAddress", lines[0].TrimEnd('\r'));
        var row = Assert.Single(lines.Skip(1));
        Assert.Contains("admin@bank.demo,quota.user-limit,exported@bank.demo PredictionRows,inherited,month=10; day=none; minute=none", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_platform_view_equals_the_sums_of_the_records()
    {
        var platform = factory.CreateApiClient(PortalWebFactory.PlatformAdminKey);
        var member = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        Assert.Equal(HttpStatusCode.OK, (await member.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", OneCreditRow)).StatusCode);

        // Each call below is itself a metered request of the platform's own tenant, so that one is compared on prediction rows only.
        var tenants = await JsonAsync(await platform.GetAsync("/api/v1/admin/usage/tenants"));
        var grouped = await JsonAsync(await platform.GetAsync("/api/v1/usage?groupBy=tenant"));
        foreach (var t in tenants.EnumerateArray())
        {
            var name = t.GetProperty("tenant").GetString();
            foreach (var metric in new[] { "Requests", "PredictionRows", "StorageBytes" }.Where(m => name != "Portal operators" || m == "PredictionRows"))
            {
                var expected = grouped.GetProperty("groups").EnumerateArray()
                    .Where(g => g.GetProperty("key").GetString() == name && g.GetProperty("metric").GetString() == metric).Sum(g => g.GetProperty("amount").GetInt64());
                Assert.Equal(expected, t.GetProperty("amounts").GetProperty(metric).GetInt64());
            }
        }

        var hospital = tenants.EnumerateArray().Single(t => t.GetProperty("tenant").GetString() == "St. Mary's Hospital");
        Assert.True(hospital.GetProperty("amounts").GetProperty("Requests").GetInt64() >= 1);
        Assert.True(hospital.GetProperty("activeUsers").GetInt32() >= 1);
    }
}
