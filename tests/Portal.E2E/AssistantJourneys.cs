using System.Text.RegularExpressions;

namespace Portal.E2E;

/// <summary>The course assistant as students and teachers use it in the browser, with the built-in engine.</summary>
[Collection(PortalCollection.Name)]
public sealed class AssistantJourneys(PortalAppFixture app) : JourneyTest(app)
{
    [Fact]
    public Task A_student_asks_about_the_course_and_gets_a_quoted_answer_with_citations_that_open_the_passage() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("student@school.demo");
            await ByTestId("card-assistant").GetByRole(AriaRole.Link, new() { Name = "Open" }).ClickAsync();
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/assistant"));
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("engine")).ToHaveTextAsync("Built-in engine (quotes your material)");

            await ByTestId("example-question").First.ClickAsync();
            var answer = ByTestId("assistant-message").Last;
            await Assertions.Expect(answer.Locator("[data-testid=answer-text]")).ToContainTextAsync("A tuple is a sequence of comma separated values");
            await Assertions.Expect(answer.Locator("[data-testid=citation]").First).ToContainTextAsync("Chapter 3: Objects");
            await Assertions.Expect(answer.Locator("[data-testid=copy-answer]")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("conversation-item")).ToHaveCountAsync(1);
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/assistant\\?c=[0-9a-f-]{36}$"));
            await DocScreenshotAsync("assistant-student");

            await answer.Locator("[data-testid=citation]").First.ClickAsync();
            await Assertions.Expect(ByTestId("citation-passage")).ToContainTextAsync("tuple");
            await Assertions.Expect(ByTestId("citation-attribution")).ToContainTextAsync("CC BY 4.0");
            await ByTestId("open-document").ClickAsync();
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/knowledge/[0-9a-f-]{36}\\?passage="));
            await Assertions.Expect(Page.Locator("[data-cited=true]")).ToHaveCountAsync(1);
            await Assertions.Expect(Page.Locator("[data-cited=true]")).ToContainTextAsync("tuple");

            // Off the course: said plainly, nothing cited. The conversation survives a reload.
            await Page.GoBackAsync();
            await WaitInteractiveAsync();
            await Input("question").FillAsync("What is the capital of France?");
            await ByTestId("ask").ClickAsync();
            await Assertions.Expect(ByTestId("assistant-message").Last.Locator("[data-testid=answer-text]")).ToContainTextAsync("I could not find this in your course material");
            await Assertions.Expect(ByTestId("assistant-message").Last.Locator("[data-testid=citation]")).ToHaveCountAsync(0);
            await Page.ReloadAsync();
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("assistant-message")).ToHaveCountAsync(2);
            await Assertions.Expect(ByTestId("user-message").First).ToHaveTextAsync("What is a tuple?");
        });

    [Fact]
    public Task A_teacher_adds_a_document_and_a_students_next_answer_cites_it() =>
        JourneyAsync(async () =>
        {
            var file = Path.Combine(Path.GetTempPath(), $"exam-{Guid.NewGuid():N}.md");
            await File.WriteAllTextAsync(file, "# Exam information\n\nThe final Python exam takes place on 12 June in room B4 and lasts ninety minutes. Bring your student card; calculators are not allowed.\n");
            await LogInAsync("admin@school.demo");
            await Page.GotoAsync("/knowledge");
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("knowledge-grid")).ToContainTextAsync("Chapter 1: Statements");
            await Assertions.Expect(Input("graded-work-rule")).ToBeCheckedAsync();
            await Page.Locator("input[type=file]").SetInputFilesAsync(file);
            await Assertions.Expect(ByTestId("knowledge-grid")).ToContainTextAsync(Path.GetFileNameWithoutExtension(file), new() { Timeout = 30_000 });

            await Context.ClearCookiesAsync();
            await LogInAsync("student@school.demo");
            await Page.GotoAsync("/assistant");
            await WaitInteractiveAsync();
            await Input("question").FillAsync("When and where is the final exam?");
            await ByTestId("ask").ClickAsync();
            var answer = ByTestId("assistant-message").Last;
            await Assertions.Expect(answer.Locator("[data-testid=answer-text]")).ToContainTextAsync("12 June in room B4");
            await Assertions.Expect(answer.Locator("[data-testid=citation]").First).ToContainTextAsync(Path.GetFileNameWithoutExtension(file));
        });

    [Fact]
    public Task A_loan_officer_has_the_copilot_review_the_sample_application_and_a_doctor_summarises_a_note() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("member@bank.demo");
            await Page.GotoAsync("/assistant");
            await WaitInteractiveAsync();
            await ByTestId("assistant-choice").ClickAsync();
            await Page.GetByRole(AriaRole.Option, new() { Name = "Loan review copilot" }).ClickAsync();
            await ByTestId("example-question").First.ClickAsync();
            var memo = ByTestId("assistant-message").Last.Locator("[data-testid=answer-text]");
            await Assertions.Expect(memo).ToContainTextAsync("Estimated probability of bad credit:");
            await Assertions.Expect(memo).ToContainTextAsync("Suggested next step:");
            await Assertions.Expect(memo).ToContainTextAsync("No generative model is configured");
            await Assertions.Expect(ByTestId("engine")).ToHaveTextAsync("Built-in engine (writes the memo from the model's score)");
            await DocScreenshotAsync("assistant-loan-copilot");

            // Back on the assistant page later, the copilot is still the one chosen (that of the latest conversation).
            await Page.GotoAsync("/");
            await Page.GotoAsync("/assistant");
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("assistant-choice")).ToContainTextAsync("Loan review copilot");
            await Assertions.Expect(ByTestId("conversation-item")).ToHaveCountAsync(1);

            // A doctor finds the note summary among the solution templates and opens it from there.
            await Context.ClearCookiesAsync();
            await LogInAsync("member@hospital.demo");
            await Page.GotoAsync("/templates");
            await WaitInteractiveAsync();
            var card = ByTestId("template-medical-note-summary");
            await Assertions.Expect(card.Locator("[data-testid=assistant-chip]")).ToBeVisibleAsync();
            await card.Locator("[data-testid=open-template]").ClickAsync();
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("assistant-choice")).ToContainTextAsync("Clinical note summary");
            await ByTestId("example-question").First.ClickAsync();
            var summary = ByTestId("assistant-message").Last.Locator("[data-testid=answer-text]");
            await Assertions.Expect(summary).ToContainTextAsync("Key findings");
            await Assertions.Expect(summary).ToContainTextAsync("not medical advice");
            await Assertions.Expect(ByTestId("answer-engine").Last).ToHaveTextAsync("· Built-in engine (quotes the note's key sentences)");
        });

    [Fact]
    public Task A_student_regenerates_an_answer_renames_the_conversation_and_deletes_it() =>
        JourneyAsync(async () =>
        {
            await LogInAsync("student@school.demo");
            await Page.GotoAsync("/assistant");
            await WaitInteractiveAsync();
            await Input("question").FillAsync("What is a list?");
            await ByTestId("ask").ClickAsync();
            await Assertions.Expect(ByTestId("assistant-message").Last.Locator("[data-testid=citation]").First).ToBeVisibleAsync();
            var first = await ByTestId("assistant-message").Last.Locator("[data-testid=answer-text]").TextContentAsync() ?? string.Empty;

            await ByTestId("regenerate").ClickAsync();
            await Assertions.Expect(ByTestId("assistant-message")).ToHaveCountAsync(1);
            await Assertions.Expect(ByTestId("assistant-message").Last.Locator("[data-testid=answer-text]")).ToHaveTextAsync(first);

            var item = ByTestId("conversation-item").Filter(new() { HasText = "What is a list?" });
            await item.Locator("[data-testid=conversation-menu] button").ClickAsync();
            await ByTestId("conversation-rename").ClickAsync();
            await Input("rename-input").FillAsync("Lists in Python");
            await ByTestId("rename-save").ClickAsync();
            await Assertions.Expect(ByTestId("conversations")).ToContainTextAsync("Lists in Python");

            await ByTestId("conversation-item").Filter(new() { HasText = "Lists in Python" }).Locator("[data-testid=conversation-menu] button").ClickAsync();
            await ByTestId("conversation-delete").ClickAsync();
            await ConfirmAsync("Delete");
            await Assertions.Expect(ByTestId("conversations")).Not.ToContainTextAsync("Lists in Python");
            await Assertions.Expect(ByTestId("assistant-message")).ToHaveCountAsync(0);
        });
}
