using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Portal.E2E;

/// <summary>
/// Starts the real portal (the built Portal.Web.dll) on a free loopback port with a fresh SQLite file and demo data,
/// and one headless Debian Chromium (path from PORTAL_CHROMIUM, default /usr/bin/chromium).
/// </summary>
public sealed class PortalAppFixture : IAsyncLifetime
{
    public const string Password = "Portal!Demo1";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "portal-e2e", Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _log = new();
    private Process? _app;
    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = string.Empty;

    public IBrowser Browser { get; private set; } = null!;

    public string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        var port = FreePort();
        BaseUrl = $"http://localhost:{port}";
        var dll = WebAppDll();
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://localhost:{port}"])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(_folder, "portal.db")}";
        start.Environment["Portal__Storage__Root"] = Path.Combine(_folder, "storage");
        start.Environment["Portal__Email__PickupDirectory"] = Path.Combine(_folder, "mail");
        start.Environment["Portal__Demo__Seed"] = "true";
        start.Environment["Portal__Demo__Password"] = Password;
        _app = Process.Start(start) ?? throw new InvalidOperationException("Could not start the portal.");
        _app.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _app.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();
        await WaitUntilHealthyAsync();

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

    public string AppLog()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_app!.HasExited)
            {
                throw new InvalidOperationException("The portal exited during start-up:\n" + AppLog());
            }

            try
            {
                if ((await http.GetAsync($"{BaseUrl}/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("The portal did not become healthy within 90 s:\n" + AppLog());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string WebAppDll([CallerFilePath] string here = "")
    {
        // Same configuration as this test assembly (bin/<Configuration>/net10.0/).
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        var dll = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "src", "Portal.Web", "bin", configuration, "net10.0", "Portal.Web.dll"));
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first.", dll);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }

        _app?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalAppFixture>
{
    public const string Name = "portal";
}
