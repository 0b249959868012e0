using System.Runtime.CompilerServices;

namespace Portal.E2E;

/// <summary>Base for journeys: a fresh browser context per test, helpers for Blazor Server, screenshots on failure.</summary>
public abstract class JourneyTest(PortalAppFixture app) : IAsyncLifetime
{
    protected PortalAppFixture App { get; } = app;

    protected IBrowserContext Context { get; private set; } = null!;

    protected IPage Page { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Context = await App.Browser.NewContextAsync(new() { BaseURL = App.BaseUrl, Locale = "en-US", ViewportSize = new() { Width = 1366, Height = 900 } });
        Context.SetDefaultTimeout(20_000);
        Page = await Context.NewPageAsync();
    }

    public async Task DisposeAsync() => await Context.DisposeAsync();

    /// <summary>Runs a journey and keeps a screenshot and the app log when it fails.</summary>
    protected async Task JourneyAsync(Func<Task> steps, [CallerMemberName] string name = "")
    {
        try
        {
            await steps();
        }
        catch (Exception e)
        {
            await Page.ScreenshotAsync(new() { Path = Path.Combine(App.ScreenshotFolder, name + ".png"), FullPage = true });
            var log = App.AppLog();
            await File.WriteAllTextAsync(Path.Combine(App.ScreenshotFolder, name + ".log"), log);
            // The portal's own log travels with the failure, so a CI run that keeps only its output still shows it.
            var tail = string.Join('\n', log.Split('\n').TakeLast(80));
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- the portal's log, last 80 lines ---\n{tail}", e);
        }
    }

    /// <summary>Waits until the interactive circuit is up; clicks sent earlier would be lost.</summary>
    protected async Task WaitInteractiveAsync() =>
        await Page.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>
    /// Waits for the page after signing in to be committed, not loaded: what follows waits for what it needs (the
    /// interactive circuit, a locator). Waiting for the load event failed a CI run once: it never came within 30 s
    /// although the page was there (Playwright saw the network idle).
    /// </summary>
    protected static readonly PageWaitForURLOptions SignedIn = new() { WaitUntil = WaitUntilState.Commit };

    protected async Task LogInAsync(string email, string password = PortalAppFixture.Password)
    {
        await Page.GotoAsync("/Account/Login");
        await Page.FillAsync("#Input\\.Email", email);
        await Page.FillAsync("#Input\\.Password", password);
        await Page.ClickAsync("#login-submit");
        await Page.WaitForURLAsync(u => !u.Contains("/Account/Login", StringComparison.Ordinal), SignedIn);
        await WaitInteractiveAsync();
    }

    /// <summary>The input inside a MudBlazor field marked with data-testid.</summary>
    protected ILocator Input(string testId) =>
        Page.Locator($"input[data-testid={testId}], textarea[data-testid={testId}], [data-testid={testId}] input, [data-testid={testId}] textarea").First;

    /// <summary>Saves a screenshot for the documentation when PORTAL_DOC_SCREENSHOTS names a folder.</summary>
    protected async Task DocScreenshotAsync(string name)
    {
        if (Environment.GetEnvironmentVariable("PORTAL_DOC_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await Page.WaitForTimeoutAsync(500); // let progress bars finish animating
            await Page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png") });
        }
    }

    protected ILocator ByTestId(string testId) => Page.Locator($"[data-testid={testId}]");

    /// <summary>
    /// Answers the open confirmation dialog with <paramref name="button"/> and waits until it has closed. A click that the
    /// dialog never saw (it can land while the dialog is still being drawn; a CI run lost one) is repeated while the button
    /// is still there, never after the dialog has gone.
    /// </summary>
    protected async Task ConfirmAsync(string button, IPage? page = null)
    {
        var dialog = (page ?? Page).Locator(".mud-dialog");
        var answer = dialog.GetByRole(AriaRole.Button, new() { Name = button, Exact = true });
        await answer.ClickAsync();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                await Assertions.Expect(dialog).ToHaveCountAsync(0, new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 2)
            {
                if (await answer.IsVisibleAsync())
                {
                    await answer.ClickAsync();
                }
            }
        }
    }
}
