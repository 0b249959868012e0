using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Portal.E2E;

/// <summary>
/// The real portal (the built Portal.Web.dll) as an operating-system process on a free loopback port, with its
/// database and storage in <see cref="Folder"/>, seeded demo data, and any extra settings. Can be killed and started
/// again on the same folder.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    public const string Password = "Portal!Demo1";

    private readonly StringBuilder _log = new();
    private readonly IReadOnlyDictionary<string, string> _settings;
    private Process? _app;

    public PortalProcess(string folder, IReadOnlyDictionary<string, string>? settings = null)
    {
        Folder = folder;
        _settings = settings ?? new Dictionary<string, string>();
        Directory.CreateDirectory(folder);
    }

    public string Folder { get; }

    /// <summary>The PostgreSQL server the portal runs on instead of SQLite, if any.</summary>
    public static string? PostgresServer { get; } = Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES") is { Length: > 0 } server ? server : null;

    private string DatabaseName => "portal_e2e_" + Path.GetFileName(Folder);

    public string BaseUrl { get; private set; } = string.Empty;

    public async Task StartAsync()
    {
        var port = FreePort();
        BaseUrl = $"http://localhost:{port}";
        var dll = WebAppDll();
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", BaseUrl])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        if (PostgresServer is { } server)
        {
            // PORTAL_TEST_POSTGRES (test.sh's PostgreSQL pass): a database of this folder's own on that server.
            start.Environment["Portal__Database__Provider"] = "PostgreSQL";
            start.Environment["ConnectionStrings__Portal"] = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = DatabaseName }.ToString();
        }
        else
        {
            start.Environment["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(Folder, "portal.db")}";
        }

        start.Environment["Portal__Storage__Root"] = Path.Combine(Folder, "storage");
        start.Environment["Portal__Email__PickupDirectory"] = Path.Combine(Folder, "mail");
        start.Environment["Portal__Demo__Seed"] = "true";
        start.Environment["Portal__Demo__Password"] = Password;
        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _app = Process.Start(start) ?? throw new InvalidOperationException("Could not start the portal.");
        _app.OutputDataReceived += (_, e) => Append(e.Data);
        _app.ErrorDataReceived += (_, e) => Append(e.Data);
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();
        await WaitUntilHealthyAsync();
    }

    /// <summary>SIGKILL: no shutdown, no flush, as a crash or a pulled plug.</summary>
    public async Task KillAsync()
    {
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }

        _app?.Dispose();
        _app = null;
        Append("---- killed ----");
    }

    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
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
                throw new InvalidOperationException("The portal exited during start-up:\n" + Log());
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

        throw new TimeoutException("The portal did not become healthy within 90 s:\n" + Log());
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

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        if (PostgresServer is { } postgres)
        {
            await using var server = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = "postgres" }.ToString());
            await server.OpenAsync();
            await using var drop = server.CreateCommand();
            drop.CommandText = $"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)";
            await drop.ExecuteNonQueryAsync();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
