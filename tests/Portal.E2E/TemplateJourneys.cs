using System.Text.RegularExpressions;

namespace Portal.E2E;

[Collection(PortalCollection.Name)]
public sealed class TemplateJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Fact]
    public Task A_member_picks_a_template_fills_the_form_and_sees_the_result_with_its_explanation() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("member@bank.demo");
            await Page.GetByRole(AriaRole.Link, new() { Name = "Solution templates" }).First.ClickAsync();
            await Input("template-search").FillAsync("credit");
            await Assertions.Expect(ByTestId("template-medical-breast-cancer")).ToHaveCountAsync(0);
            await ByTestId("template-finance-credit-risk").GetByRole(AriaRole.Link, new() { Name = "Open" }).ClickAsync();
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/templates/finance-credit-risk$"));
            await WaitInteractiveAsync();

            await Assertions.Expect(ByTestId("quota-notice")).ToContainTextAsync("Prediction rows remaining: 2,000,000.");
            await Input("input-duration_months").FillAsync("60");
            await Input("input-credit_amount").FillAsync("15000");
            await ByTestId("predict").ClickAsync();

            await Assertions.Expect(ByTestId("prediction-label")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("prediction-probability")).ToContainTextAsync("%");
            await Assertions.Expect(ByTestId("explanation").Locator(".effect-row")).ToHaveCountAsync(8);
            await Assertions.Expect(ByTestId("explanation")).ToContainTextAsync("credit_amount = 15000");
            await Assertions.Expect(ByTestId("quota-notice")).ToContainTextAsync("Prediction rows remaining: 1,999,999.");
            await DocScreenshotAsync("try-it-credit-risk");

            await Page.GetByRole(AriaRole.Tab, new() { Name = "Model card" }).ClickAsync();
            await Assertions.Expect(ByTestId("confusion")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("importance").Locator(".effect-row")).ToHaveCountAsync(10);
        });

    [Fact]
    public Task Out_of_range_input_is_refused_at_the_field_and_nothing_is_charged() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("member@hospital.demo");
            await Page.GotoAsync("/templates/medical-diabetes-progression");
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("quota-notice")).ToContainTextAsync("Prediction rows remaining: 2,000,000.");
            await Input("input-sex").FillAsync("");
            await ByTestId("predict").ClickAsync();
            await Assertions.Expect(Page.GetByText("is missing").First).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("prediction")).ToHaveCountAsync(0);
            await Assertions.Expect(ByTestId("quota-notice")).ToContainTextAsync("Prediction rows remaining: 2,000,000.");

            await Page.GetByRole(AriaRole.Tab, new() { Name = "Model card" }).ClickAsync();
            await Assertions.Expect(ByTestId("residual-plot").Locator("circle")).ToHaveCountAsync(71);
            await DocScreenshotAsync("model-card-diabetes");
        });
}
