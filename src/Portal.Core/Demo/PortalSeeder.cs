using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Demo;

/// <summary>
/// Seeds what every installation needs (roles, quota plans) and, when <see cref="DemoOptions.Seed"/> is on, the demo
/// tenants and accounts. Idempotent: running it again changes nothing that exists.
/// </summary>
public sealed partial class PortalSeeder(
    SystemDbContextFactory systemDb,
    UserManager<PortalUser> users,
    RoleManager<IdentityRole> roles,
    IOptions<DemoOptions> demo,
    TimeProvider clock,
    ILogger<PortalSeeder> logger)
{
    /// <summary>The seeded plans: name → metric → limits (per month, per day, per minute).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<QuotaMetric, LimitValues>> Plans { get; } =
        new Dictionary<string, IReadOnlyDictionary<QuotaMetric, LimitValues>>
        {
            ["Free"] = new Dictionary<QuotaMetric, LimitValues>
            {
                [QuotaMetric.Requests] = new(5_000, 1_000, 60),
                [QuotaMetric.PredictionRows] = new(20_000, null, null),
                [QuotaMetric.LlmTokens] = new(200_000, null, null),
                [QuotaMetric.StorageBytes] = new(100L * 1024 * 1024, null, null),
            },
            ["Standard"] = new Dictionary<QuotaMetric, LimitValues>
            {
                [QuotaMetric.Requests] = new(100_000, null, 3_000),
                [QuotaMetric.PredictionRows] = new(2_000_000, null, null),
                [QuotaMetric.LlmTokens] = new(5_000_000, null, null),
                [QuotaMetric.StorageBytes] = new(5L * 1024 * 1024 * 1024, null, null),
            },
            ["Unlimited"] = new Dictionary<QuotaMetric, LimitValues>(),
        };

    private static readonly (string Name, string Slug, string Plan, string Domain)[] DemoTenants =
    [
        ("Portal operators", "platform", "Unlimited", "portal.local"),
        ("St. Mary's Hospital", "hospital", "Standard", "hospital.demo"),
        ("Harbour Bank", "bank", "Standard", "bank.demo"),
        ("Riverside School", "school", "Standard", "school.demo"),
    ];

    private static readonly (string Email, string Role, string Name)[] DemoAccounts =
    [
        ("admin@portal.local", PortalRoles.PlatformAdmin, "Platform Admin"),
        ("admin@hospital.demo", PortalRoles.TenantAdmin, "Hospital Admin"),
        ("admin@bank.demo", PortalRoles.TenantAdmin, "Bank Admin"),
        ("admin@school.demo", PortalRoles.TenantAdmin, "School Admin (Teacher)"),
        ("member@hospital.demo", PortalRoles.Member, "Dr. Lee"),
        ("member@bank.demo", PortalRoles.Member, "Loan Officer"),
        ("member@school.demo", PortalRoles.Member, "School Analyst"),
        ("student@school.demo", PortalRoles.Student, "Student"),
    ];

    public async Task SeedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var role in PortalRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        await using var db = systemDb.CreateDbContext();
        foreach (var (name, limits) in Plans)
        {
            if (await db.QuotaPlans.AnyAsync(p => p.Name == name, cancellationToken))
            {
                continue;
            }

            db.QuotaPlans.Add(new QuotaPlan
            {
                Name = name,
                Limits = [.. limits.Select(l => new QuotaPlanLimit { Metric = l.Key, PeriodLimit = l.Value.Period, DailyLimit = l.Value.Daily, PerMinuteLimit = l.Value.PerMinute })],
            });
        }

        await db.SaveChangesAsync(cancellationToken);

        if (demo.Value.Seed)
        {
            await SeedDemoAsync(db, cancellationToken);
        }
    }

    private async Task SeedDemoAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var tenantByDomain = new Dictionary<string, Guid>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, slug, planName, domain) in DemoTenants)
        {
            var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Slug == slug, cancellationToken);
            if (tenant is null)
            {
                var plan = await db.QuotaPlans.SingleAsync(p => p.Name == planName, cancellationToken);
                tenant = new Tenant { Name = name, Slug = slug, QuotaPlanId = plan.Id, CreatedAt = now };
                db.Tenants.Add(tenant);
                await db.SaveChangesAsync(cancellationToken);
            }

            tenantByDomain[domain] = tenant.Id;
        }

        foreach (var (email, role, displayName) in DemoAccounts)
        {
            var user = await users.FindByEmailAsync(email);
            if (user is null)
            {
                user = new PortalUser
                {
                    UserName = email,
                    Email = email,
                    EmailConfirmed = true,
                    DisplayName = displayName,
                    TenantId = tenantByDomain[email[(email.IndexOf('@') + 1)..]],
                    CreatedAt = now,
                };
                var result = await users.CreateAsync(user, demo.Value.Password!);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException(
                        $"Could not seed {email}: {string.Join(" ", result.Errors.Select(e => e.Description))} (check Portal:Demo:Password).");
                }

                await users.AddToRoleAsync(user, role);
                LogSeeded(logger, email, role);
            }

            if (demo.Value.ApiKeys.TryGetValue(email, out var key))
            {
                var hash = ApiKeyService.Hash(key);
                if (!await db.ApiKeys.AnyAsync(k => k.SecretHash == hash, cancellationToken))
                {
                    db.ApiKeys.Add(ApiKeyService.FromKnownSecret(key, "Demo key (configured)", user.Id, user.TenantId, now));
                    await db.SaveChangesAsync(cancellationToken);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded demo account {Email} ({Role})")]
    private static partial void LogSeeded(ILogger logger, string email, string role);
}
