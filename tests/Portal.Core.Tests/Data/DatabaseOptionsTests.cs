using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Data;

namespace Portal.Core.Tests.Data;

/// <summary>The database engine is a setting: SQLite by default, PostgreSQL with a connection string, nothing else.</summary>
public sealed class DatabaseOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection().AddLogging().AddDataProtection().Services;
        services.AddPortalCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), Path.GetTempPath());
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Sqlite_is_the_default_and_PostgreSQL_is_chosen_by_configuration_alone()
    {
        using (var sqlite = Build([]))
        using (var db = sqlite.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            Assert.True(db.Database.IsSqlite());
        }

        using var postgres = Build(new() { ["Portal:Database:Provider"] = "PostgreSQL", ["ConnectionStrings:Portal"] = "Host=db.example;Database=portal;Username=portal" });
        using var context = postgres.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        Assert.True(context.Database.IsNpgsql());
        Assert.Equal("portal", context.Database.GetDbConnection().Database);
        Assert.Contains(context.Database.GetMigrations(), m => m.EndsWith("_Initial", StringComparison.Ordinal)); // its own migrations
    }

    [Fact]
    public void PostgreSQL_without_a_connection_string_stops_the_start_with_what_to_set()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Build(new() { ["Portal:Database:Provider"] = "PostgreSQL" }));
        Assert.Contains("set ConnectionStrings:Portal", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_engine_stops_the_start()
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(() => Build(new() { ["Portal:Database:Provider"] = "Oracle" }));
        Assert.Contains("Oracle", error.Message + error.InnerException?.Message, StringComparison.Ordinal);
    }
}
