namespace Portal.E2E;

/// <summary>
/// The real portal as a process (<see cref="PortalProcess"/>) with a fresh SQLite file and demo data, and one
/// headless Debian Chromium (path from PORTAL_CHROMIUM, default /usr/bin/chromium).
/// </summary>
public sealed class PortalAppFixture : IAsyncLifetime
{
    public const string Password = PortalProcess.Password;

    // Small chunks that each record their progress keep the journeys' 150,000-row run going long enough (a few hundred
    // commits) for its progress bar to be seen; with the defaults it can finish before the page has loaded.
    private readonly PortalProcess _portal = new(Path.Combine(Path.GetTempPath(), "portal-e2e", Guid.NewGuid().ToString("N")), new Dictionary<string, string>
    {
        ["Portal:Runs:ChunkRows"] = "512",
        ["Portal:Runs:ProgressInterval"] = "00:00:00",
    });
    private IPlaywright? _playwright;

    public string BaseUrl => _portal.BaseUrl;

    public IBrowser Browser { get; private set; } = null!;

    public string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        await _portal.StartAsync();

        // The suite runs beside the other test projects on 2 cores: give assertions the same patience as actions.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    public string AppLog() => _portal.Log();

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await _portal.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalAppFixture>
{
    public const string Name = "portal";
}
