using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Demo;
using Portal.Core.Email;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core;

public static class CoreServiceCollectionExtensions
{
    public const string ConnectionStringName = "Portal";
    public const string DefaultConnectionString = "Data Source=App_Data/portal.db";
    public const string MigrationsAssembly = "Portal.Migrations.Sqlite";
    public const string PostgreSqlMigrationsAssembly = "Portal.Migrations.PostgreSQL";

    /// <summary>Registers the application core: database, tenancy, Identity stores, quotas, API keys, e-mail, seeding.</summary>
    public static IServiceCollection AddPortalCore(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        var paths = new PortalPaths(contentRoot);
        services.AddSingleton(paths);
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<QuotaOptions>().Bind(configuration.GetSection(QuotaOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Datasets.UploadOptions>().Bind(configuration.GetSection(Datasets.UploadOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Runs.RunOptions>().Bind(configuration.GetSection(Runs.RunOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EmailOptions>().Bind(configuration.GetSection(EmailOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Assistant.LlmOptions>().Bind(configuration.GetSection(Assistant.LlmOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Assistant.LlmOptions>, Assistant.LlmOptionsValidator>();
        services.AddOptions<DemoOptions>().Bind(configuration.GetSection(DemoOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DemoOptions>, DemoOptionsValidator>();

        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var database = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.AddDbContext<PortalDbContext>(
            UseDatabase(database.Provider, configuration.GetConnectionString(ConnectionStringName), paths),
            contextLifetime: ServiceLifetime.Scoped,
            optionsLifetime: ServiceLifetime.Singleton);

        services.AddScoped<TenantContext>();
        services.AddScoped<ITenantContext>(sp => sp.GetRequiredService<TenantContext>());
        services.AddScoped<IDbContextFactory<PortalDbContext>, TenantDbContextFactory>();
        services.AddSingleton<SystemDbContextFactory>();
        services.AddScoped<RequestOrigin>();

        services.AddIdentityCore<PortalUser>(o =>
            {
                o.SignIn.RequireConfirmedAccount = true;
                o.User.RequireUniqueEmail = true;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Password.RequiredLength = 8;
                o.Stores.SchemaVersion = IdentitySchemaVersions.Version2;
            })
            .AddRoles<IdentityRole>()
            .AddErrorDescriber<PortalIdentityErrorDescriber>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddDefaultTokenProviders();

        services.AddScoped<IQuotaService, QuotaService>();
        services.AddScoped<ApiKeyService>();
        services.AddScoped<TenantService>();
        services.AddScoped<MemberService>();
        services.AddScoped<RegistrationService>();
        services.AddScoped<IAuditLog, AuditLog>();
        services.AddScoped<PortalSeeder>();
        services.AddSingleton<Datasets.DatasetStorage>();
        services.AddSingleton<Datasets.ValidationReportCache>();
        services.AddScoped<Datasets.DatasetService>();
        services.AddSingleton<Runs.RunQueue>();
        services.AddSingleton<Runs.RunResultsStore>();
        services.AddScoped<Runs.RunService>();
        services.AddScoped<Usage.UsageService>();
        services.AddScoped<AuditReader>();
        services.AddScoped<Templates.TemplateAccessService>();
        services.AddScoped<QuotaAdminService>();
        services.AddSingleton<Assistant.KnowledgeIndex>();
        services.AddScoped<Assistant.KnowledgeService>();
        services.AddScoped<Assistant.AssistantService>();
        services.AddSingleton<PortalEmailSender>();
        services.AddSingleton<IEmailSender<PortalUser>>(sp => sp.GetRequiredService<PortalEmailSender>());
        services.AddHostedService<QuotaSweeper>();
        return services;
    }

    /// <summary>
    /// Points a context at a database: the engine, its connection string (a relative SQLite file resolves against the
    /// content root; none means <see cref="DefaultConnectionString"/>) and that engine's migrations.
    /// </summary>
    public static Action<DbContextOptionsBuilder> UseDatabase(DatabaseProvider provider, string? connectionString, PortalPaths paths) => provider switch
    {
        DatabaseProvider.PostgreSQL => connectionString is { Length: > 0 } server
            ? o => o.UseNpgsql(server, x => x.MigrationsAssembly(PostgreSqlMigrationsAssembly))
            : throw new OptionsValidationException(DatabaseOptions.Section, typeof(DatabaseOptions), [$"{DatabaseOptions.Section}:Provider is PostgreSQL: set ConnectionStrings:{ConnectionStringName} to the server's connection string."]),
        _ => o => o.UseSqlite(ResolveSqliteConnectionString(connectionString ?? DefaultConnectionString, paths), x => x.MigrationsAssembly(MigrationsAssembly)),
    };

    /// <summary>Creates or migrates the database, then seeds it. Called once at start-up.</summary>
    public static async Task InitializePortalDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var systemDb = scope.ServiceProvider.GetRequiredService<SystemDbContextFactory>();
        await using (var db = systemDb.CreateDbContext())
        {
            await db.Database.MigrateAsync(cancellationToken);
            if (db.Database.IsSqlite())
            {
                // WAL lets readers proceed while a writer holds the lock; it is a property of the file, set once.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
        }

        await scope.ServiceProvider.GetRequiredService<PortalSeeder>().SeedAsync(cancellationToken);
    }

    private static string ResolveSqliteConnectionString(string connectionString, PortalPaths paths)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } source && source != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            builder.DataSource = paths.Resolve(source);
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        }

        return builder.ToString();
    }
}
