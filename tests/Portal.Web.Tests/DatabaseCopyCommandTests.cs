using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using Portal.Core.Data;

namespace Portal.Web.Tests;

/// <summary>
/// <c>copy-database</c> as an operator runs it: a seeded SQLite portal copied into the database the configuration names
/// (another SQLite file here; PostgreSQL is covered by the copier's own tests in test.sh's second pass), a second copy
/// into the now full database refused, and a wrong command line or a missing source answered with a message, not a
/// stack trace.
/// </summary>
public sealed class DatabaseCopyCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-copy-").FullName;

    [Fact]
    public async Task Copies_a_seeded_portal_into_the_configured_database_once()
    {
        var source = Path.Combine(_folder, "single-machine.db");
        var target = Path.Combine(_folder, "new.db");
        var users = await SeedAsync(source);

        var (code, output, error) = await RunAsync("--from", $"Data Source={source}", "--ConnectionStrings:Portal", $"Data Source={target}");
        Assert.True(code == 0, error);
        Assert.Contains($"Copying SQLite {source} into SQLite {target}", output, StringComparison.Ordinal);
        Assert.Matches(@"AspNetUsers\s+" + users + " rows", output);
        Assert.Contains("Copied ", output, StringComparison.Ordinal);
        await using (var db = Context(target))
        {
            Assert.Equal(users, await db.Users.CountAsync());
            Assert.Contains(await db.Users.Select(u => u.Email).ToListAsync(), e => e == "member@bank.demo");
        }

        (code, _, error) = await RunAsync("--from", $"Data Source={source}", "--ConnectionStrings:Portal", $"Data Source={target}");
        Assert.Equal(1, code);
        Assert.Contains("already holds data", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_command_line_or_a_missing_source_gets_a_message()
    {
        var (code, _, error) = await RunAsync("--ConnectionStrings:Portal", $"Data Source={Path.Combine(_folder, "t.db")}");
        Assert.Equal(2, code);
        Assert.StartsWith("Usage: copy-database --from", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync("--from", $"Data Source={Path.Combine(_folder, "nowhere.db")}", "--ConnectionStrings:Portal", $"Data Source={Path.Combine(_folder, "t.db")}");
        Assert.Equal(1, code);
        Assert.Contains("There is no database at", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync("--from", "Data Source=x.db", "--from-provider", "Oracle");
        Assert.Equal(2, code);

        // The target left at its default: the very file being copied.
        var source = Path.Combine(_folder, "same.db");
        await SeedAsync(source);
        (code, _, error) = await RunAsync("--from", $"Data Source={source}", "--ConnectionStrings:Portal", $"Data Source={source}");
        Assert.Equal(1, code);
        Assert.Contains("are the same database", error, StringComparison.Ordinal);

        // PostgreSQL named as the target without its connection string.
        using var output = new StringWriter();
        using var errors = new StringWriter();
        code = await DatabaseCopyCommand.RunAsync(["--from", $"Data Source={source}", "--Portal:Database:Provider", "PostgreSQL", "--ConnectionStrings:Portal", ""], output, errors);
        Assert.Equal(1, code);
        Assert.Contains("set ConnectionStrings:Portal", errors.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await DatabaseCopyCommand.RunAsync([.. args, "--Portal:Database:Provider", "Sqlite"], output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A portal's database as its first start leaves it, with the demo tenants; returns its number of users.</summary>
    private async Task<int> SeedAsync(string path)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={path}",
            ["Portal:Demo:Seed"] = "true",
            ["Portal:Demo:Password"] = "Portal!Demo1",
            ["Portal:Email:PickupDirectory"] = Path.Combine(_folder, "mail"),
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddDataProtection();
        services.AddPortalCore(configuration, _folder);
        await using var provider = services.BuildServiceProvider();
        await provider.InitializePortalDatabaseAsync();
        await using var db = provider.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        return await db.Users.CountAsync();
    }

    private static PortalDbContext Context(string path) =>
        new(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite($"Data Source={path}").Options, SystemTenantContext.Instance);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
