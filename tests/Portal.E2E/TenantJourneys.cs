namespace Portal.E2E;

[Collection(PortalCollection.Name)]
public sealed class TenantJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Fact]
    public Task A_platform_admin_deactivates_an_organisation_and_its_signed_in_owner_is_refused_with_a_reason() =>
        JourneyAsync(async () =>
        {
            // An organisation registers and its owner is signed in, in their own browser.
            await Page.GotoAsync("/Account/Register");
            await Page.FillAsync("#Input\\.Organisation", "Quay Pharmacy");
            await Page.FillAsync("#Input\\.DisplayName", "Ms. Okafor");
            await Page.FillAsync("#Input\\.Email", "owner@quay.test");
            await Page.FillAsync("#Input\\.Password", "QuayPharm!2026");
            await Page.FillAsync("#Input\\.ConfirmPassword", "QuayPharm!2026");
            await Page.ClickAsync("#register-submit");
            await Page.ClickAsync("#confirm-link");
            // The confirmation must land before the next navigation, or it is cancelled and the sign-in refused.
            await Assertions.Expect(Page.GetByText("Thank you for confirming your email.")).ToBeVisibleAsync();
            await LogInAsync("owner@quay.test", "QuayPharm!2026");
            await Assertions.Expect(ByTestId("tenant-name")).ToContainTextAsync("Quay Pharmacy");

            // The platform admin, elsewhere, deactivates it.
            await using var admin = await App.Browser.NewContextAsync(new() { BaseURL = App.BaseUrl, Locale = "en-US" });
            var adminPage = await admin.NewPageAsync();
            await adminPage.GotoAsync("/Account/Login");
            await adminPage.FillAsync("#Input\\.Email", "admin@portal.local");
            await adminPage.FillAsync("#Input\\.Password", PortalAppFixture.Password);
            await adminPage.ClickAsync("#login-submit");
            await adminPage.WaitForURLAsync(u => !u.Contains("/Account/Login", StringComparison.Ordinal), SignedIn);
            await adminPage.GotoAsync("/admin/tenants");
            await adminPage.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            var row = adminPage.Locator("[data-testid=tenants-grid] tbody tr", new() { HasText = "Quay Pharmacy" });
            await row.Locator("[data-testid=deactivate-tenant]").ClickAsync();
            await ConfirmAsync("Deactivate", adminPage);
            await Assertions.Expect(row).ToContainTextAsync("Inactive");

            // The owner's next page load ends the session; signing in again says why.
            await Page.GotoAsync("/usage");
            await Assertions.Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
            await Page.FillAsync("#Input\\.Email", "owner@quay.test");
            await Page.FillAsync("#Input\\.Password", "QuayPharm!2026");
            await Page.ClickAsync("#login-submit");
            await Assertions.Expect(Page.GetByText("Your organisation has been deactivated")).ToBeVisibleAsync();

            // Reactivated, the same account signs in again: nothing was deleted.
            await row.Locator("[data-testid=activate-tenant]").ClickAsync();
            await Assertions.Expect(row.Locator("[data-testid=deactivate-tenant]")).ToBeVisibleAsync();
            await LogInAsync("owner@quay.test", "QuayPharm!2026");
            await Assertions.Expect(ByTestId("tenant-name")).ToContainTextAsync("Quay Pharmacy");
        });
}
