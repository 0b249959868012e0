using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
    IServiceProvider services,
    ILogger<PortalSeeder> logger)
{
    /// <summary>Where the school's course material and its precomputed vectors are, next to the app.</summary>
    public static string CourseFolder => Path.Combine(AppContext.BaseDirectory, "Demo", "Course");

    /// <summary>The attribution the course text's licence requires wherever it is shown or cited.</summary>
    public const string CourseAttribution =
        "Introduction to Python Programming by Udayan Das, Aubrey Lawson, Chris Mayfield and Narges Norouzi, OpenStax. " +
        "Access for free at https://openstax.org/books/introduction-python-programming/pages/1-introduction. Licensed under CC BY 4.0. " +
        "Changed: converted to Markdown; figures and interactive elements removed.";

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
                tenant = new Tenant { Name = name, Slug = slug, QuotaPlanId = plan.Id, CreatedAt = now, AssistantRefusesGradedWork = slug == "school" };
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

        try
        {
            await SeedCourseAsync(db, tenantByDomain["school.demo"], cancellationToken);
        }
        catch (Exception e) when (e is Assistant.LlmUnavailableException or QuotaExceededException)
        {
            // A model server that is down must not keep the portal from starting; the course is seeded at the next start.
            LogCourseSkipped(logger, e.Message);
        }
    }

    /// <summary>
    /// Gives the school its course text (chapters 1–6 of OpenStax's Introduction to Python Programming), acting as the
    /// school's admin so that storage is charged to the school. Vectors come from the shipped file where the text matches.
    /// Skipped when no embedding model is registered (core-only hosts).
    /// </summary>
    private async Task SeedCourseAsync(PortalDbContext db, Guid schoolId, CancellationToken cancellationToken)
    {
        if (services.GetService<Assistant.ITextEmbedder>() is not { } embedder
            || await db.KnowledgeDocuments.AnyAsync(d => d.TenantId == schoolId, cancellationToken))
        {
            return;
        }

        var teacher = await users.FindByEmailAsync("admin@school.demo");
        if (teacher is null || !Directory.Exists(CourseFolder))
        {
            return;
        }

        var known = Assistant.PassageVectors.Read(Path.Combine(CourseFolder, "passages.vectors"), embedder.ModelId);
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Set(new Caller(teacher.Id, schoolId, [PortalRoles.TenantAdmin]));
        var knowledge = scope.ServiceProvider.GetRequiredService<Assistant.KnowledgeService>();
        foreach (var file in CourseChapters())
        {
            var text = await File.ReadAllTextAsync(file, cancellationToken);
            var title = text.Split('\n', 2)[0].TrimStart('#', ' ').Trim();
            await knowledge.StoreAsync(new Assistant.KnowledgeDocument
            {
                TenantId = schoolId,
                Title = title,
                FileName = Path.GetFileName(file),
                Format = "markdown",
                SizeBytes = System.Text.Encoding.UTF8.GetByteCount(text),
                Text = text,
                Attribution = CourseAttribution,
                UploadedBy = teacher.Id,
                CreatedAt = clock.GetUtcNow(),
            }, known, cancellationToken);
        }
    }

    /// <summary>The course chapters in order.</summary>
    public static IEnumerable<string> CourseChapters() => Directory.Exists(CourseFolder)
        ? Directory.GetFiles(CourseFolder, "chapter-*.md").Order(StringComparer.Ordinal)
        : [];

    [LoggerMessage(Level = LogLevel.Warning, Message = "The school's course material was not seeded: {Reason}")]
    private static partial void LogCourseSkipped(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded demo account {Email} ({Role})")]
    private static partial void LogSeeded(ILogger logger, string email, string role);
}
