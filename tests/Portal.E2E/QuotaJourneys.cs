using System.Text.RegularExpressions;

namespace Portal.E2E;

/// <summary>Limits as people meet them: an admin lowers a member's limit, the member runs into it, the admin sees it.</summary>
[Collection(PortalCollection.Name)]
public sealed class QuotaJourneys(PortalAppFixture app) : JourneyTest(app)
{
    private async Task SetMemberLimitAsync(string email, long rows)
    {
        await Page.GotoAsync("/admin/members");
        await WaitInteractiveAsync();
        await ByTestId("members-grid").Locator("tr", new() { HasText = email }).Locator("[data-testid=member-limits]").ClickAsync();
        await Assertions.Expect(ByTestId("limits-table")).ToBeVisibleAsync();
        await Input("limit-PredictionRows-period").FillAsync(rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await ByTestId("limits-save").ClickAsync();
        await Assertions.Expect(Page.GetByText($"Limits of {email} saved.")).ToBeVisibleAsync();
    }

    [Fact]
    public Task An_admin_lowers_a_members_limit_the_member_hits_it_and_the_admin_sees_it_in_usage_and_the_audit_log() =>
        JourneyAsync(async () =>
        {
            const string email = "capped@bank.demo";
            await LogInAsync("admin@bank.demo");
            await Page.GotoAsync("/admin/members");
            await WaitInteractiveAsync();
            await Input("member-email").FillAsync(email);
            await ByTestId("onboard-password").ClickAsync();
            await Input("member-password").FillAsync("Capped!2026");
            await ByTestId("member-add").ClickAsync();
            await Assertions.Expect(ByTestId("members-grid")).ToContainTextAsync(email);
            await SetMemberLimitAsync(email, 3);

            // The member, in their own browser, scores one applicant; two rows of their three remain.
            await using var memberContext = await App.Browser.NewContextAsync(new() { BaseURL = App.BaseUrl, Locale = "en-US", ViewportSize = new() { Width = 1366, Height = 900 } });
            memberContext.SetDefaultTimeout(20_000);
            var member = await memberContext.NewPageAsync();
            await member.GotoAsync("/Account/Login");
            await member.FillAsync("#Input\\.Email", email);
            await member.FillAsync("#Input\\.Password", "Capped!2026");
            await member.ClickAsync("#login-submit");
            await member.WaitForURLAsync(u => !u.Contains("/Account/Login", StringComparison.Ordinal), SignedIn);
            await member.GotoAsync("/templates/finance-credit-risk");
            await member.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            await Assertions.Expect(member.Locator("[data-testid=quota-notice]")).ToContainTextAsync("Prediction rows remaining: 3.");
            await member.Locator("[data-testid=predict]").ClickAsync();
            await Assertions.Expect(member.Locator("[data-testid=prediction-label]")).ToBeVisibleAsync();
            await Assertions.Expect(member.Locator("[data-testid=quota-notice]")).ToContainTextAsync("Prediction rows remaining: 2.");

            // The admin lowers the member's limit to the one row already used, while the member's page is open.
            await SetMemberLimitAsync(email, 1);

            await member.Locator("[data-testid=predict]").ClickAsync();
            var refusal = member.Locator("[data-testid=quota-refusal]");
            await Assertions.Expect(refusal).ToContainTextAsync("Your own limit is reached.");
            await Assertions.Expect(refusal).ToContainTextAsync("Not enough Prediction rows left: this needs 1, 0 remain.");
            await Assertions.Expect(refusal).ToContainTextAsync("More becomes available at");
            await Assertions.Expect(member.Locator("[data-testid=quota-notice]")).ToHaveAttributeAsync("data-allows", "false");
            await Assertions.Expect(member.Locator("[data-testid=predict]")).ToBeDisabledAsync();

            // The admin sees the member's one row and the refused call in the organisation's usage ...
            await Page.GotoAsync("/usage/organisation");
            await WaitInteractiveAsync();
            var row = ByTestId("org-usage-members").Locator($"tr[data-key='{email}']");
            await Assertions.Expect(row.Locator("[data-metric=PredictionRows]")).ToHaveTextAsync("1");
            await Assertions.Expect(row.Locator("[data-metric=failed]")).ToHaveTextAsync("1");
            await Page.GetByRole(AriaRole.Tab, new() { Name = "Failed calls" }).ClickAsync();
            var failed = ByTestId("org-usage-failed").Locator("tr", new() { HasText = email });
            await Assertions.Expect(failed).ToContainTextAsync("Refused (limit)");
            await Assertions.Expect(failed).ToContainTextAsync("Prediction rows");
            await DocScreenshotAsync("organisation-usage-refused");

            // ... and both limit changes, with before and after, in the audit log.
            await Page.GotoAsync("/admin/audit");
            await WaitInteractiveAsync();
            await Input("audit-search").FillAsync(email);
            var entries = ByTestId("audit-grid").Locator("tbody tr", new() { HasText = "quota.user-limit" });
            await Assertions.Expect(entries).ToHaveCountAsync(2);
            await Assertions.Expect(entries.First).ToContainTextAsync("month=3; day=none; minute=none");
            await Assertions.Expect(entries.First).ToContainTextAsync("month=1; day=none; minute=none");
            await Assertions.Expect(entries.First).ToContainTextAsync("admin@bank.demo");
            await Assertions.Expect(ByTestId("audit-export")).ToHaveAttributeAsync("href", new Regex("search=capped%40bank.demo"));
        });
}
