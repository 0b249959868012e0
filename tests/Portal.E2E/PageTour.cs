namespace Portal.E2E;

/// <summary>
/// Opens every page as a person would, in English and in Simplified Chinese: each answers below 400, shows no error
/// banner or error page, and in Chinese its heading is Chinese.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class PageTour(PortalAppFixture app) : JourneyTest(app)
{
    public static readonly string[] AnonymousPages =
    [
        "/", "/Account/Login", "/Account/Register", "/Account/ForgotPassword", "/Account/ForgotPasswordConfirmation",
        "/Account/ResendEmailConfirmation", "/Account/ResetPasswordConfirmation", "/Account/InvalidPasswordReset",
        "/Account/Lockout", "/no-such-page",
    ];

    public static readonly string[] SignedInPages =
    [
        "/", "/usage", "/api-keys", "/admin/members", "/admin/tenants", "/admin/audit",
        "/admin/api-keys", "/admin/templates", "/admin/plans", "/usage/organisation", "/usage/platform", "/assistant", "/knowledge",
        "/templates", "/templates/finance-credit-risk", "/templates/medical-diabetes-progression", "/datasets", "/runs",
        "/Account/Manage", "/Account/Manage/Email", "/Account/Manage/ChangePassword",
        "/Account/Manage/TwoFactorAuthentication", "/Account/Manage/EnableAuthenticator", "/Account/Manage/ResetAuthenticator",
        "/Account/Manage/GenerateRecoveryCodes", "/Account/Manage/Disable2fa", "/Account/Manage/PersonalData",
    ];

    /// <summary>Text that is not the page's own strings and must read in Chinese: an input with its unit, an audit action.</summary>
    private static readonly Dictionary<string, string> ChineseSamples = new()
    {
        ["/templates/finance-credit-risk"] = "duration_months (个月)",
        ["/templates/medical-diabetes-progression"] = "age (岁)",
        ["/admin/audit"] = "登录成功",
    };

    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public Task Every_page_renders_without_errors(string culture) =>
        JourneyAsync(async () =>
        {
            await Context.AddCookiesAsync([new Cookie { Name = ".AspNetCore.Culture", Value = $"c={culture}|uic={culture}", Url = App.BaseUrl }]);
            foreach (var path in AnonymousPages)
            {
                await VisitAsync(path, culture);
            }

            await LogInAsync("admin@portal.local");
            foreach (var path in SignedInPages)
            {
                await VisitAsync(path, culture);
            }
        }, $"{nameof(Every_page_renders_without_errors)}-{culture}");

    [Fact]
    public Task The_api_reference_renders_offline_with_the_portal_endpoints() =>
        JourneyAsync(async () =>
        {
            await Page.GotoAsync("/api-reference");
            await Assertions.Expect(Page.GetByText("Portal API").First).ToBeVisibleAsync();
            await Assertions.Expect(Page.GetByText("/api/v1/me").First).ToBeAttachedAsync();
            await DocScreenshotAsync("api-reference");
        });

    private async Task VisitAsync(string path, string culture)
    {
        var response = await Page.GotoAsync(path);
        var status = response!.Status;
        Assert.True(path == "/no-such-page" ? status == 404 : status < 400, $"{path} answered {status}");
        if (!Page.Url.Contains("/Account/", StringComparison.Ordinal))
        {
            await WaitInteractiveAsync();
        }

        await Assertions.Expect(Page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
        var text = await Page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Something went wrong", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);

        var heading = await Page.Locator("h1, h2, h3, h4, h5").First.InnerTextAsync();
        if (culture == "zh-CN")
        {
            Assert.True(heading.Any(c => c is >= '\u4e00' and <= '\u9fff'), $"{path} (now {Page.Url}) has an untranslated heading: '{heading}'");
            if (ChineseSamples.TryGetValue(path, out var sample))
            {
                await Assertions.Expect(Page.Locator("body")).ToContainTextAsync(sample); // a grid's rows may come after the first render
            }
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(heading), $"{path} has no heading");
        }

        await DocScreenshotAsync($"tour-{culture}-{path.Trim('/').Replace('/', '-')}");
    }
}
