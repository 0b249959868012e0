using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Tests.Quotas;

/// <summary>The hierarchy platform plan → tenant → user → API key: the tightest applies, limits only go down, periods reset.</summary>
public sealed class QuotaHierarchyTests : CoreHostTest
{
    private async Task<T> AsAsync<T>(Caller caller, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Host.ScopeFor(caller);
        return await work(scope.ServiceProvider);
    }

    private Task AsAsync(Caller caller, Func<IServiceProvider, Task> work) => AsAsync(caller, async sp =>
    {
        await work(sp);
        return true;
    });

    private async Task ChargeAsync(Caller caller, QuotaMetric metric, long amount) => await AsAsync(caller, async sp =>
    {
        await using var lease = await sp.GetRequiredService<IQuotaService>().ReserveAsync(metric, amount);
        await lease.SettleAsync(amount);
    });

    private async Task<QuotaDenial> RefusedAsync(Caller caller, QuotaMetric metric, long amount) =>
        (await Assert.ThrowsAsync<QuotaExceededException>(() => ChargeAsync(caller, metric, amount))).Denial;

    /// <summary>A tenant with an admin and a member, on a plan with the given limits.</summary>
    private async Task<(Guid TenantId, Caller Admin, Caller Member)> OrganisationAsync(string slug, Dictionary<QuotaMetric, (long?, long?)> plan)
    {
        var (tenantId, admin) = await Host.CreateTenantAsync(slug, plan, PortalRoles.TenantAdmin);
        var member = await Host.AddUserAsync(tenantId, $"member@{slug}.test");
        return (tenantId, admin, member);
    }

    private async Task<Caller> WithKeyAsync(Caller user)
    {
        var key = await AsAsync(user, sp => sp.GetRequiredService<ApiKeyService>().CreateAsync("script"));
        return user with { ApiKeyId = key.Id };
    }

    [Fact]
    public async Task A_user_limit_is_honoured_when_the_call_comes_through_an_api_key()
    {
        var (_, admin, member) = await OrganisationAsync("viakey", new() { [QuotaMetric.PredictionRows] = (1_000, null) });
        await AsAsync(admin, sp => sp.GetRequiredService<QuotaAdminService>().SetUserLimitAsync(member.UserId, QuotaMetric.PredictionRows, new LimitValues(10, null, null)));
        var viaKey = await WithKeyAsync(member);

        await ChargeAsync(viaKey, QuotaMetric.PredictionRows, 8);
        var denial = await RefusedAsync(viaKey, QuotaMetric.PredictionRows, 3);

        Assert.Equal(("user", 10L, 2L), (denial.Scope, denial.Limit, denial.Remaining));
        // The browser shares the user's allowance: what the key used is gone for the browser too.
        Assert.Equal("user", (await RefusedAsync(member, QuotaMetric.PredictionRows, 3)).Scope);
        await ChargeAsync(member, QuotaMetric.PredictionRows, 2);
    }

    [Fact]
    public async Task A_key_limit_is_honoured_below_the_users_and_leaves_the_user_alone()
    {
        var (_, admin, member) = await OrganisationAsync("keycap", new() { [QuotaMetric.Requests] = (10_000, null) });
        var viaKey = await WithKeyAsync(member);
        await AsAsync(admin, async sp =>
        {
            var quotas = sp.GetRequiredService<QuotaAdminService>();
            await quotas.SetUserLimitAsync(member.UserId, QuotaMetric.Requests, new LimitValues(100, null, null));
            await quotas.SetKeyLimitAsync(viaKey.ApiKeyId!.Value, QuotaMetric.Requests, new LimitValues(5, null, null));
        });

        for (var i = 0; i < 5; i++)
        {
            await ChargeAsync(viaKey, QuotaMetric.Requests, 1);
        }

        var denial = await RefusedAsync(viaKey, QuotaMetric.Requests, 1);
        Assert.Equal(("key", 5L, 0L), (denial.Scope, denial.Limit, denial.Remaining));

        // The same user in the browser, or with another key, still has the rest of their own 100.
        await ChargeAsync(member, QuotaMetric.Requests, 90);
        var otherKey = await WithKeyAsync(member);
        await ChargeAsync(otherKey, QuotaMetric.Requests, 5);
        Assert.Equal(("user", 0L), ((await RefusedAsync(otherKey, QuotaMetric.Requests, 1)).Scope, (await RefusedAsync(otherKey, QuotaMetric.Requests, 1)).Remaining));

        var status = await AsAsync(viaKey, sp => sp.GetRequiredService<IQuotaService>().GetStatusAsync());
        Assert.Equal((5L, 5L), (status.Key.Single(l => l.Metric == QuotaMetric.Requests).Used, status.Key.Single(l => l.Metric == QuotaMetric.Requests).Limit!.Value));
        Assert.Equal(100, status.User.Single(l => l.Metric == QuotaMetric.Requests).Used);
    }

    [Fact]
    public async Task Daily_and_monthly_periods_reset_on_schedule()
    {
        var (_, _, member) = await OrganisationAsync("resets", new() { [QuotaMetric.Requests] = (5, 2) });
        await ChargeAsync(member, QuotaMetric.Requests, 2);
        var daily = await RefusedAsync(member, QuotaMetric.Requests, 1);
        Assert.Equal(("tenant", "day", new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero)), (daily.Scope, daily.Period, daily.ResetsAt));

        Host.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero)); // midnight UTC: a new day
        await ChargeAsync(member, QuotaMetric.Requests, 2);
        Host.Clock.Advance(TimeSpan.FromDays(1));
        await ChargeAsync(member, QuotaMetric.Requests, 1);
        var monthly = await RefusedAsync(member, QuotaMetric.Requests, 1);
        Assert.Equal(("month", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)), (monthly.Period, monthly.ResetsAt));

        Host.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 0, 1, TimeSpan.Zero));
        await ChargeAsync(member, QuotaMetric.Requests, 2);
        var status = await AsAsync(member, sp => sp.GetRequiredService<IQuotaService>().GetStatusAsync());
        Assert.Equal(2, status.Tenant.Single(l => l.Metric == QuotaMetric.Requests).Used);
    }

    [Fact]
    public async Task A_tenant_override_replaces_its_plan_up_or_down()
    {
        var (tenantId, _, member) = await OrganisationAsync("override", new() { [QuotaMetric.PredictionRows] = (100, null) });
        var (_, platform) = await Host.CreateTenantAsync("operators", null, PortalRoles.PlatformAdmin);

        await AsAsync(platform, sp => sp.GetRequiredService<QuotaAdminService>().SetTenantOverrideAsync(tenantId, QuotaMetric.PredictionRows, new LimitValues(300, null, null)));
        await ChargeAsync(member, QuotaMetric.PredictionRows, 250);

        await AsAsync(platform, sp => sp.GetRequiredService<QuotaAdminService>().SetTenantOverrideAsync(tenantId, QuotaMetric.PredictionRows, new LimitValues(260, null, null)));
        Assert.Equal(("tenant", 260L, 10L), Tuple(await RefusedAsync(member, QuotaMetric.PredictionRows, 11)));

        // Clearing the override returns the tenant to its plan's 100, already spent.
        await AsAsync(platform, sp => sp.GetRequiredService<QuotaAdminService>().SetTenantOverrideAsync(tenantId, QuotaMetric.PredictionRows, null));
        Assert.Equal(("tenant", 100L, 0L), Tuple(await RefusedAsync(member, QuotaMetric.PredictionRows, 1)));

        static (string, long, long) Tuple(QuotaDenial d) => (d.Scope, d.Limit, d.Remaining);
    }

    [Fact]
    public async Task Limits_never_go_above_the_level_above_and_every_change_is_audited()
    {
        var (tenantId, admin, member) = await OrganisationAsync("ceiling", new() { [QuotaMetric.Requests] = (1_000, 100) });
        var viaKey = await WithKeyAsync(member);
        await AsAsync(admin, async sp =>
        {
            var quotas = sp.GetRequiredService<QuotaAdminService>();
            var above = await Assert.ThrowsAsync<QuotaLimitValidationException>(() => quotas.SetUserLimitAsync(member.UserId, QuotaMetric.Requests, new LimitValues(2_000, null, null)));
            Assert.Contains("above", above.Message);
            await Assert.ThrowsAsync<QuotaLimitValidationException>(() => quotas.SetUserLimitAsync(member.UserId, QuotaMetric.Requests, new LimitValues(null, 500, null)));
            await Assert.ThrowsAsync<QuotaLimitValidationException>(() => quotas.SetUserLimitAsync(member.UserId, QuotaMetric.PredictionRows, new LimitValues(null, null, 10)));

            await quotas.SetUserLimitAsync(member.UserId, QuotaMetric.Requests, new LimitValues(50, null, 30));
            await Assert.ThrowsAsync<QuotaLimitValidationException>(() => quotas.SetKeyLimitAsync(viaKey.ApiKeyId!.Value, QuotaMetric.Requests, new LimitValues(60, null, null)));
            await Assert.ThrowsAsync<QuotaLimitValidationException>(() => quotas.SetKeyLimitAsync(viaKey.ApiKeyId!.Value, QuotaMetric.Requests, new LimitValues(null, null, 31)));
            await quotas.SetKeyLimitAsync(viaKey.ApiKeyId!.Value, QuotaMetric.Requests, new LimitValues(20, null, 10));

            var user = await quotas.GetUserLimitsAsync(member.UserId);
            var line = user.Lines.Single(l => l.Metric == QuotaMetric.Requests);
            Assert.Equal(new LimitValues(50, 100, 30), line.Effective);
            var key = await quotas.GetKeyLimitsAsync(viaKey.ApiKeyId!.Value);
            Assert.Equal(new LimitValues(20, 100, 10), key.Lines.Single(l => l.Metric == QuotaMetric.Requests).Effective);
        });

        var rates = await AsAsync(viaKey, sp => sp.GetRequiredService<IQuotaService>().GetRateLimitsAsync());
        Assert.Equal((30L, 10L), (rates.User!.Value, rates.Key!.Value));

        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var audit = await db.AuditEntries.Where(e => e.TenantId == tenantId && e.Action.StartsWith("quota.")).OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(["quota.user-limit", "quota.key-limit"], audit.Select(e => e.Action));
        Assert.Equal(("inherited", "month=50; day=none; minute=30"), (audit[0].Before, audit[0].After));
        Assert.Equal(admin.UserId, audit[0].ActorUserId);
    }

    [Fact]
    public async Task A_refusal_is_in_the_ledger_with_nothing_charged()
    {
        var (tenantId, _, member) = await OrganisationAsync("refusal", new() { [QuotaMetric.PredictionRows] = (5, null) });
        await RefusedAsync(member, QuotaMetric.PredictionRows, 6);

        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var record = await db.UsageRecords.SingleAsync(r => r.TenantId == tenantId);
        Assert.Equal((UsageOutcome.Refused, 0L, member.UserId), (record.Outcome, record.Amount, record.UserId));
        Assert.Equal(0, (await Host.CounterAsync("tenant:" + tenantId.ToString("N"), QuotaMetric.PredictionRows, QuotaPeriods.Month(Host.Clock.GetUtcNow())))!.Used);
    }

    [Fact]
    public async Task A_tenant_admin_cannot_reach_another_tenants_members_or_keys()
    {
        var (_, adminA, _) = await OrganisationAsync("tenant-a", new() { [QuotaMetric.Requests] = (1_000, null) });
        var (_, _, memberB) = await OrganisationAsync("tenant-b", new() { [QuotaMetric.Requests] = (1_000, null) });
        var keyB = await WithKeyAsync(memberB);

        await AsAsync(adminA, async sp =>
        {
            var quotas = sp.GetRequiredService<QuotaAdminService>();
            await Assert.ThrowsAsync<KeyNotFoundException>(() => quotas.SetUserLimitAsync(memberB.UserId, QuotaMetric.Requests, new LimitValues(1, null, null)));
            await Assert.ThrowsAsync<KeyNotFoundException>(() => quotas.GetUserLimitsAsync(memberB.UserId));
            await Assert.ThrowsAsync<KeyNotFoundException>(() => quotas.SetKeyLimitAsync(keyB.ApiKeyId!.Value, QuotaMetric.Requests, new LimitValues(1, null, null)));
            await Assert.ThrowsAsync<KeyNotFoundException>(() => quotas.GetTenantLimitsAsync(memberB.TenantId));
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => quotas.SetTenantOverrideAsync(adminA.TenantId, QuotaMetric.Requests, new LimitValues(1_000_000, null, null)));
            Assert.DoesNotContain((await quotas.ListUserLimitsAsync()), s => s.SubjectId == memberB.UserId);
            Assert.False(await sp.GetRequiredService<ApiKeyService>().RevokeInTenantAsync(keyB.ApiKeyId!.Value));
        });

        // B's member still has no limit of their own, and B's key still works.
        await ChargeAsync(keyB, QuotaMetric.Requests, 10);
    }

    [Fact]
    public async Task Members_cannot_change_limits()
    {
        var (_, _, member) = await OrganisationAsync("nope", new() { [QuotaMetric.Requests] = (1_000, null) });
        await AsAsync(member, sp => Assert.ThrowsAsync<UnauthorizedAccessException>(
            () => sp.GetRequiredService<QuotaAdminService>().SetUserLimitAsync(member.UserId, QuotaMetric.Requests, new LimitValues(1_000_000, null, null))));
    }
}
