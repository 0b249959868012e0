using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Core;
using Portal.Core.Accounts;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Tests;

/// <summary>
/// The real core on a fresh database per test class, with a controllable clock: a SQLite file, or, when
/// <c>PORTAL_TEST_POSTGRES</c> holds a server's connection string (<c>test.sh</c> starts one when PostgreSQL is
/// installed), a new database on that server, dropped afterwards.
/// </summary>
public sealed class CoreTestHost : IAsyncDisposable
{
    /// <summary>The PostgreSQL server the tests run against instead of SQLite, if any.</summary>
    public static string? PostgresServer { get; } = Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES") is { Length: > 0 } server ? server : null;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "portal-core-tests", Guid.NewGuid().ToString("N"));

    private readonly bool _postgres;

    private CoreTestHost(Dictionary<string, string?> settings, bool sqlite = false)
    {
        Directory.CreateDirectory(_folder);
        _postgres = PostgresServer is not null && !sqlite;
        if (_postgres && PostgresServer is { } server)
        {
            settings["Portal:Database:Provider"] = "PostgreSQL";
            settings["ConnectionStrings:Portal"] = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = "portal_test_" + Path.GetFileName(_folder), MaxPoolSize = 60 }.ToString();
        }
        else
        {
            settings["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(_folder, "portal.db")}";
        }

        settings["Portal:Email:PickupDirectory"] = Path.Combine(_folder, "mail");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddPortalCore(configuration, _folder);
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 15, 12, 0, 0, TimeSpan.Zero));

    public ServiceProvider Services { get; }

    /// <param name="sqlite">A SQLite file even when the tests run on PostgreSQL.</param>
    /// <param name="initialize">Create, migrate and seed the database (false: nothing exists yet).</param>
    public static async Task<CoreTestHost> StartAsync(bool demo = false, bool sqlite = false, bool initialize = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Portal:Demo:Seed"] = demo ? "true" : "false",
            ["Portal:Demo:Password"] = "Portal!Demo1",
        };
        var host = new CoreTestHost(settings, sqlite);
        if (initialize)
        {
            await host.Services.InitializePortalDatabaseAsync();
        }

        return host;
    }

    /// <summary>A DI scope acting as <paramref name="caller"/>.</summary>
    public AsyncServiceScope ScopeFor(Caller? caller)
    {
        var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Set(caller);
        return scope;
    }

    /// <summary>Creates a tenant on a new plan with the given limits, and a user in it.</summary>
    public async Task<(Guid TenantId, Caller User)> CreateTenantAsync(
        string slug, IReadOnlyDictionary<QuotaMetric, (long? Period, long? Daily)>? limits = null, string role = PortalRoles.Member)
    {
        await using var db = Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var plan = new QuotaPlan
        {
            Name = "plan-" + slug,
            Limits = [.. (limits ?? new Dictionary<QuotaMetric, (long?, long?)>()).Select(l => new QuotaPlanLimit { Metric = l.Key, PeriodLimit = l.Value.Period, DailyLimit = l.Value.Daily })],
        };
        var tenant = new Tenant { Name = slug, Slug = slug, QuotaPlan = plan, CreatedAt = Clock.GetUtcNow() };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync();

        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = $"user@{slug}.test", Email = $"user@{slug}.test", EmailConfirmed = true, TenantId = tenant.Id };
        var result = await users.CreateAsync(user, "Test!Pass1");
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        return (tenant.Id, new Caller(user.Id, tenant.Id, [role]));
    }

    /// <summary>Adds a user with <paramref name="role"/> to an existing tenant.</summary>
    public async Task<Caller> AddUserAsync(Guid tenantId, string email, string role = PortalRoles.Member)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, TenantId = tenantId };
        var result = await users.CreateAsync(user, "Test!Pass1");
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        return new Caller(user.Id, tenantId, [role]);
    }

    public async Task<QuotaCounter?> CounterAsync(string scope, QuotaMetric metric, string period)
    {
        await using var db = Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        return await db.QuotaCounters.AsNoTracking().SingleOrDefaultAsync(c => c.Scope == scope && c.Metric == metric && c.Period == period);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres)
        {
            await using (var db = Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await db.Database.EnsureDeletedAsync();
            }
        }

        await Services.DisposeAsync();
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
