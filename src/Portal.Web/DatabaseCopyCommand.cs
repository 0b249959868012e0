using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Data;

namespace Portal.Web;

/// <summary>
/// <c>dotnet run --project src/Portal.Web -- copy-database --from "Data Source=App_Data/portal.db"</c>: copies the
/// portal's data from another database (a SQLite file by default; <c>--from-provider PostgreSQL</c> for a server) into
/// the database this configuration points at (<c>Portal:Database:Provider</c>, <c>ConnectionStrings:Portal</c>), which
/// must be new and empty. Both are migrated to this version's schema first, as a start of the portal would.
/// </summary>
internal static class DatabaseCopyCommand
{
    public const string Name = "copy-database";

    /// <returns>0 when copied, 1 when refused or failed (the reason on <paramref name="error"/>), 2 for a wrong command line.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(args);
        // The command reports what went wrong itself; EF's own log lines (e.g. the database that does not exist yet) only confuse.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
        if (builder.Configuration["from"] is not { Length: > 0 } from
            || !Enum.TryParse<DatabaseProvider>(builder.Configuration["from-provider"] ?? nameof(DatabaseProvider.Sqlite), ignoreCase: true, out var fromProvider))
        {
            await error.WriteLineAsync(
                $"Usage: {Name} --from \"<connection string>\" [--from-provider Sqlite|PostgreSQL]; the target is the configured database (Portal:Database:Provider, ConnectionStrings:Portal).");
            return 2;
        }

        try
        {
            builder.Services.AddPortalCore(builder.Configuration, builder.Environment.ContentRootPath);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }

        await using var services = builder.Services.BuildServiceProvider();
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        CoreServiceCollectionExtensions.UseDatabase(fromProvider, from, services.GetRequiredService<PortalPaths>())(options);
        await using var source = new PortalDbContext(options.Options, SystemTenantContext.Instance);
        await using var target = services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        if (source.Database.IsSqlite() && source.Database.GetDbConnection().DataSource is var file && !File.Exists(file))
        {
            await error.WriteLineAsync($"There is no database at {file}.");
            return 1;
        }

        if (Describe(source) == Describe(target))
        {
            await error.WriteLineAsync(
                $"The source and the target are the same database ({Describe(target)}): point Portal:Database:Provider and ConnectionStrings:Portal at the new database.");
            return 1;
        }

        await output.WriteLineAsync($"Copying {Describe(source)} into {Describe(target)} …");
        var watch = Stopwatch.StartNew();
        try
        {
            var tables = await DatabaseCopier.CopyAsync(source, target, t => output.WriteLine($"  {t.Table,-24} {t.Rows,12:N0} rows"), cancellationToken);
            await output.WriteLineAsync($"Copied {tables.Sum(t => (long)t.Rows):N0} rows of {tables.Count} tables in {watch.Elapsed.TotalSeconds:F1} s. Uploaded files and results stay under Portal:Storage:Root; point every node at it and at this database.");
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Refused (a full target), unreachable, or a row the target cannot take: the transaction keeps nothing.
            await error.WriteLineAsync($"Nothing was copied: {e.GetBaseException().Message}");
            return 1;
        }
    }

    private static string Describe(DbContext context)
    {
        var connection = context.Database.GetDbConnection();
        return context.Database.IsSqlite() ? $"SQLite {connection.DataSource}" : $"PostgreSQL {connection.DataSource}/{connection.Database}";
    }
}
