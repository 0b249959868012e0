using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Portal.E2E;

[Collection(PortalCollection.Name)]
public sealed class SignInJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Theory]
    [InlineData("admin@portal.local", "Platform admin", "card-tenants", null)]
    [InlineData("admin@hospital.demo", "Organisation admin", "card-members", "card-tenants")]
    [InlineData("member@bank.demo", "Member", "card-api", "card-members")]
    [InlineData("student@school.demo", "Student", "card-usage", "card-api")]
    public Task Each_seeded_role_logs_in_and_sees_its_dashboard(string email, string role, string visibleCard, string? hiddenCard) =>
        JourneyAsync(async () =>
        {
            await LogInAsync(email);
            await Assertions.Expect(ByTestId("role")).ToHaveTextAsync(role);
            await Assertions.Expect(ByTestId(visibleCard)).ToBeVisibleAsync();
            if (hiddenCard is not null)
            {
                await Assertions.Expect(ByTestId(hiddenCard)).ToHaveCountAsync(0);
            }

            await Assertions.Expect(ByTestId("quota-bars")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("tenant-name")).Not.ToBeEmptyAsync();
            await DocScreenshotAsync("dashboard-" + email.Split('@')[0] + "-" + email.Split('@')[1].Split('.')[0]);
        });

    [Fact]
    public Task A_student_is_refused_the_members_page() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("student@school.demo");
            await Page.GotoAsync("/admin/members");
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/Account/AccessDenied"));
            await Assertions.Expect(Page.GetByText("This page is not available to your role.")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("members-grid")).ToHaveCountAsync(0);
        });

    [Fact]
    public Task Wrong_passwords_lock_the_account_after_five_attempts() =>
        JourneyAsync(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Page.GotoAsync("/Account/Login");
                await Page.FillAsync("#Input\\.Email", "member@school.demo");
                await Page.FillAsync("#Input\\.Password", "wrong-password-" + i);
                await Page.ClickAsync("#login-submit");
            }

            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/Account/Lockout"));
        });

    [Fact]
    public Task A_new_user_registers_an_organisation_confirms_and_signs_in_as_its_admin() =>
        JourneyAsync(async () =>
        {
            await Page.GotoAsync("/Account/Register");
            await Page.FillAsync("#Input\\.Organisation", "Lakeside Clinic");
            await Page.FillAsync("#Input\\.DisplayName", "Dr. Rivera");
            await Page.FillAsync("#Input\\.Email", "rivera@lakeside.test");
            await Page.FillAsync("#Input\\.Password", "Lakeside!2026");
            await Page.FillAsync("#Input\\.ConfirmPassword", "Lakeside!2026");
            await Page.ClickAsync("#register-submit");

            await Assertions.Expect(Page.GetByText("We sent a confirmation link to rivera@lakeside.test")).ToBeVisibleAsync();
            await Page.ClickAsync("#confirm-link");
            await Assertions.Expect(Page.GetByText("Thank you for confirming your email.")).ToBeVisibleAsync();

            await LogInAsync("rivera@lakeside.test", "Lakeside!2026");
            await Assertions.Expect(ByTestId("welcome")).ToHaveTextAsync("Welcome, Dr. Rivera");
            await Assertions.Expect(ByTestId("tenant-name")).ToContainTextAsync("Lakeside Clinic");
            await Assertions.Expect(ByTestId("role")).ToHaveTextAsync("Organisation admin");
        });
}

[Collection(PortalCollection.Name)]
public sealed class AdminJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Fact]
    public Task A_tenant_admin_adds_a_member_who_can_then_sign_in() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("admin@bank.demo");
            await Page.GotoAsync("/admin/members");
            await WaitInteractiveAsync();
            await Input("member-email").FillAsync("analyst@bank.demo");
            await Input("member-name").FillAsync("Risk Analyst");
            await ByTestId("onboard-password").ClickAsync();
            await Input("member-password").FillAsync("Analyst!2026");
            await ByTestId("member-add").ClickAsync();

            await Assertions.Expect(ByTestId("members-grid")).ToContainTextAsync("analyst@bank.demo");
            await Assertions.Expect(ByTestId("members-grid")).Not.ToContainTextAsync("hospital.demo");

            await Context.ClearCookiesAsync();
            await LogInAsync("analyst@bank.demo", "Analyst!2026");
            await Assertions.Expect(ByTestId("tenant-name")).ToContainTextAsync("Harbour Bank");
            await Assertions.Expect(ByTestId("role")).ToHaveTextAsync("Member");
        });
}

[Collection(PortalCollection.Name)]
public sealed class ApiKeyJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Fact]
    public Task A_user_creates_a_key_calls_the_api_with_it_and_revokes_it() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("member@hospital.demo");
            await Page.GotoAsync("/api-keys");
            await WaitInteractiveAsync();
            await ByTestId("create-key").ClickAsync();
            await Input("key-name").FillAsync("nightly scoring");
            await ByTestId("create-key-confirm").ClickAsync();

            var secret = (await ByTestId("new-key-secret").InnerTextAsync()).Trim();
            Assert.StartsWith("ptl_", secret, StringComparison.Ordinal);
            await Assertions.Expect(ByTestId("keys-grid")).ToContainTextAsync("nightly scoring");

            using var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            var me = await http.GetAsync("/api/v1/me");
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            Assert.Contains("member@hospital.demo", await me.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            await ByTestId("revoke-key").First.ClickAsync();
            await ConfirmAsync("Revoke");
            await Assertions.Expect(ByTestId("keys-grid")).ToContainTextAsync("Revoked");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/me")).StatusCode);
        });
}

[Collection(PortalCollection.Name)]
public sealed class CultureJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Fact]
    public Task Switching_to_chinese_shows_chinese_text_and_is_remembered() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("member@school.demo");
            await ByTestId("culture-picker").ClickAsync();
            await ByTestId("culture-zh").ClickAsync();

            await Assertions.Expect(ByTestId("nav")).ToContainTextAsync("我的用量");
            await Assertions.Expect(Page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
            await Page.GotoAsync("/usage");
            await Assertions.Expect(Page.Locator("h4")).ToHaveTextAsync("我的用量");
            await DocScreenshotAsync("usage-zh");
            await Page.GotoAsync("/Account/Login");
            await Assertions.Expect(Page.Locator("h1")).ToHaveTextAsync("登录");

            // Identity's own refusals (the password rules) read in Chinese too.
            await Page.GotoAsync("/Account/Register");
            await Page.FillAsync("#Input\\.Organisation", "湖畔诊所");
            await Page.FillAsync("#Input\\.Email", "weak@lakeside.test");
            await Page.FillAsync("#Input\\.Password", "lakeside2026");
            await Page.FillAsync("#Input\\.ConfirmPassword", "lakeside2026");
            await Page.ClickAsync("#register-submit");
            await Assertions.Expect(Page.Locator(".alert-danger")).ToHaveTextAsync("错误：密码必须包含一个符号（字母和数字以外的字符）。 密码必须包含一个大写字母（A–Z）。");
        });
}

[Collection(PortalCollection.Name)]
public sealed class TwoFactorJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Fact]
    public Task A_user_turns_on_an_authenticator_app_and_then_needs_its_code_to_sign_in() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("admin@school.demo");
            await Page.GotoAsync("/Account/Manage/EnableAuthenticator");
            await Assertions.Expect(Page.Locator("#authenticator-qr svg")).ToBeVisibleAsync();
            var key = await Page.Locator("kbd").First.InnerTextAsync();
            await Page.FillAsync("#Input\\.Code", Totp.Code(key, DateTimeOffset.UtcNow));
            await Page.ClickAsync("button[type=submit]");
            await Assertions.Expect(Page.GetByText("Your authenticator app has been verified.")).ToBeVisibleAsync();

            await Context.ClearCookiesAsync();
            await Page.GotoAsync("/Account/Login");
            await Page.FillAsync("#Input\\.Email", "admin@school.demo");
            await Page.FillAsync("#Input\\.Password", PortalAppFixture.Password);
            await Page.ClickAsync("#login-submit");
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/Account/LoginWith2fa"));
            await Page.FillAsync("#Input\\.TwoFactorCode", Totp.Code(key, DateTimeOffset.UtcNow));
            await Page.ClickAsync("button[type=submit]");
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("welcome")).ToContainTextAsync("School Admin");

            // Turning it off again is audited and leaves the shared demo account as the other journeys expect it.
            await Page.GotoAsync("/Account/Manage/Disable2fa");
            await Page.ClickAsync("button[type=submit]");
            await Assertions.Expect(Page.GetByText("Two-factor authentication is off.", new() { Exact = false })).ToBeVisibleAsync();
        });
}
