using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace Portal.Web.Tests;

/// <summary>The real web host over a fresh SQLite file, with the demo tenants seeded and known API keys.</summary>
public sealed class PortalWebFactory : WebApplicationFactory<Program>
{
    public const string Password = "Portal!Demo1";
    public static readonly string HospitalAdminKey = "ptl_test-hospital-admin-0123456789abcdef";
    public static readonly string HospitalMemberKey = "ptl_test-hospital-member-0123456789abcde";
    public static readonly string BankAdminKey = "ptl_test-bank-admin-0123456789abcdefghi";
    public static readonly string PlatformAdminKey = "ptl_test-platform-admin-0123456789abcdef";
    public static readonly string StudentKey = "ptl_test-school-student-0123456789abcdef";
    public static readonly string SchoolAdminKey = "ptl_test-school-admin-0123456789abcdefgh";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "portal-web-tests", Guid.NewGuid().ToString("N"));

    public PortalWebFactory()
    {
    }

    private PortalWebFactory(PortalWebFactory node) => _folder = node._folder;

    /// <summary>A second web node on the same database and storage as <paramref name="node"/> (dispose it first).</summary>
    public static PortalWebFactory SecondNode(PortalWebFactory node) => new(node);

    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    private string DatabaseName => "portal_web_test_" + Path.GetFileName(_folder);

    /// <summary>The PostgreSQL server the tests run against instead of SQLite, if any.</summary>
    public static string? PostgresServer { get; } = Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES") is { Length: > 0 } server ? server : null;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_folder);
        builder.UseEnvironment("Testing");
        if (PostgresServer is { } server)
        {
            // PORTAL_TEST_POSTGRES (test.sh sets it when PostgreSQL is installed): a new database on that server, dropped afterwards.
            builder.UseSetting("Portal:Database:Provider", "PostgreSQL");
            builder.UseSetting("ConnectionStrings:Portal", new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = DatabaseName }.ToString());
        }
        else
        {
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(_folder, "portal.db")}");
        }

        builder.UseSetting("Portal:Storage:Root", Path.Combine(_folder, "storage"));
        builder.UseSetting("Portal:Email:PickupDirectory", Path.Combine(_folder, "mail"));
        builder.UseSetting("Portal:Demo:Seed", "true");
        builder.UseSetting("Portal:Demo:Password", Password);
        builder.UseSetting("Portal:Demo:ApiKeys:admin@hospital.demo", HospitalAdminKey);
        builder.UseSetting("Portal:Demo:ApiKeys:member@hospital.demo", HospitalMemberKey);
        builder.UseSetting("Portal:Demo:ApiKeys:admin@bank.demo", BankAdminKey);
        builder.UseSetting("Portal:Demo:ApiKeys:admin@portal.local", PlatformAdminKey);
        builder.UseSetting("Portal:Demo:ApiKeys:student@school.demo", StudentKey);
        builder.UseSetting("Portal:Demo:ApiKeys:admin@school.demo", SchoolAdminKey);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Signs <paramref name="email"/> in through the real login form (antiforgery token included) with the demo password.</summary>
    public static async Task<HttpResponseMessage> LogInAsync(HttpClient browser, string email)
    {
        var page = await browser.GetStringAsync("/Account/Login");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        return await browser.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        }));
    }

    public HttpClient CreateApiClient(string? key)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync(); // stops the workers before their database goes
        if (PostgresServer is { } postgres)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var server = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = "postgres" }.ToString());
            await server.OpenAsync();
            await using var drop = server.CreateCommand();
            drop.CommandText = $"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)";
            await drop.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
