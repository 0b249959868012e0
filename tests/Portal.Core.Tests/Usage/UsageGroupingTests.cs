using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Tests.Usage;

/// <summary>
/// Sums per day, user, key, tenant, template and metric, computed by the database (or streamed, for days), equal the
/// sums of the very records the ledger lists, for a platform admin (every tenant) and a tenant admin (their own).
/// </summary>
public sealed class UsageGroupingTests : CoreHostTest
{
    [Fact]
    public async Task Every_grouping_sums_exactly_the_records_the_ledger_lists()
    {
        var (_, platform) = await Host.CreateTenantAsync("operators", null, PortalRoles.PlatformAdmin);
        var (bankId, bankAdmin) = await Host.CreateTenantAsync("bank", null, PortalRoles.TenantAdmin);
        var analyst = await Host.AddUserAsync(bankId, "analyst@bank.test");
        var (schoolId, pupil) = await Host.CreateTenantAsync("school", null);
        var callers = new[] { bankAdmin, analyst, pupil };
        var keys = new[] { Guid.NewGuid(), Guid.NewGuid() };
        var random = new Random(7);
        var now = Host.Clock.GetUtcNow(); // mid-month: the default window is the month so far
        await using (var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            db.ApiKeys.Add(new ApiKey { Id = keys[0], TenantId = bankId, UserId = analyst.UserId, Name = "nightly", Prefix = "ptl_aaaa", SecretHash = "x", CreatedAt = now });
            db.ApiKeys.Add(new ApiKey { Id = keys[1], TenantId = schoolId, UserId = pupil.UserId, Name = "lms", Prefix = "ptl_bbbb", SecretHash = "x", CreatedAt = now });
            for (var i = 0; i < 600; i++)
            {
                var caller = callers[random.Next(callers.Length)];
                Guid? key = random.Next(3) == 0 ? null : caller == pupil ? keys[1] : caller == analyst ? keys[0] : null;
                db.UsageRecords.Add(new UsageRecord
                {
                    TenantId = caller.TenantId,
                    UserId = caller.UserId,
                    ApiKeyId = key,
                    Channel = key is null ? UsageChannel.Ui : UsageChannel.Api,
                    TemplateId = random.Next(4) switch { 0 => null, 1 => "finance-credit-risk", 2 => "education-assistant", _ => "medical-diabetes-progression" },
                    Metric = QuotaMetrics.All[random.Next(QuotaMetrics.All.Count)],
                    Amount = random.Next(-5, 5_000),
                    Outcome = random.Next(10) == 0 ? UsageOutcome.Refused : UsageOutcome.Succeeded,
                    Timestamp = now.AddDays(-random.Next(0, 14)).AddMinutes(-random.Next(0, 1_440)), // some before the month: outside the window
                });
            }

            await db.SaveChangesAsync();
        }

        foreach (var caller in new[] { platform, bankAdmin })
        {
            await using var scope = Host.ScopeFor(caller);
            var usage = scope.ServiceProvider.GetRequiredService<UsageService>();
            var listed = await usage.AllAsync(new UsageQuery()).ToListAsync();
            Assert.NotEmpty(listed);
            foreach (var groupBy in UsageGroupings.All)
            {
                string Key(UsageItem item) => groupBy switch
                {
                    UsageGroupings.Day => item.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    UsageGroupings.User => item.User,
                    UsageGroupings.ApiKey => item.ApiKey ?? "(browser)",
                    UsageGroupings.Tenant => item.Tenant,
                    UsageGroupings.Template => item.TemplateId ?? "(none)",
                    _ => item.Metric.ToString(),
                };
                var expected = listed.GroupBy(i => (Key: Key(i), i.Metric))
                    .Select(g => new UsageGroup(g.Key.Key, g.Key.Metric, g.Sum(i => i.Amount), g.Count()))
                    .OrderBy(g => g.Key, StringComparer.Ordinal).ThenBy(g => g.Metric).ToList();
                Assert.Equal(expected, await usage.GroupAsync(new UsageQuery(), groupBy));
            }

            var (days, byTemplate) = await usage.DailyAsync(new UsageQuery());
            foreach (var template in listed.Select(i => i.TemplateId ?? string.Empty).Distinct())
            {
                Assert.Equal(
                    days.Select(d => listed.Where(i => (i.TemplateId ?? string.Empty) == template && DateOnly.FromDateTime(i.Timestamp.UtcDateTime) == d).Sum(i => i.Amount)),
                    byTemplate[template]);
            }
        }

        // The tenant admin's sums stay in the bank.
        await using (var scope = Host.ScopeFor(bankAdmin))
        {
            var tenants = await scope.ServiceProvider.GetRequiredService<UsageService>().GroupAsync(new UsageQuery(), UsageGroupings.Tenant);
            Assert.Equal(["bank"], tenants.Select(g => g.Key).Distinct());
        }
    }
}
