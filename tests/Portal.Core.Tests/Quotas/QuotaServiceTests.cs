using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Tests.Quotas;

public sealed class QuotaServiceTests : CoreHostTest
{
    private async Task<long> ReserveAndSettleAsync(Caller caller, QuotaMetric metric, long amount)
    {
        await using var scope = Host.ScopeFor(caller);
        var quota = scope.ServiceProvider.GetRequiredService<IQuotaService>();
        await using var lease = await quota.ReserveAsync(metric, amount);
        await lease.SettleAsync(amount);
        return amount;
    }

    [Fact]
    public async Task Two_hundred_concurrent_reservations_for_the_last_ten_units_grant_exactly_ten()
    {
        var (_, user) = await Host.CreateTenantAsync("race", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.PredictionRows] = (1_000, null) });
        await ReserveAndSettleAsync(user, QuotaMetric.PredictionRows, 990);

        var start = new TaskCompletionSource();
        var attempts = Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            await using var scope = Host.ScopeFor(user);
            var quota = scope.ServiceProvider.GetRequiredService<IQuotaService>();
            try
            {
                var lease = await quota.ReserveAsync(QuotaMetric.PredictionRows, 1);
                await lease.SettleAsync(1);
                return true;
            }
            catch (QuotaExceededException)
            {
                return false;
            }
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(10, results.Count(granted => granted));
        var counter = await Host.CounterAsync("tenant:" + user.TenantId.ToString("N"), QuotaMetric.PredictionRows, QuotaPeriods.Month(Host.Clock.GetUtcNow()));
        Assert.Equal(1_000, counter!.Used);
        Assert.Equal(0, counter.Reserved);
    }

    [Fact]
    public async Task Over_quota_is_refused_with_metric_limit_and_reset_time_and_nothing_is_reserved()
    {
        var (_, user) = await Host.CreateTenantAsync("limit", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.LlmTokens] = (100, null) });
        await ReserveAndSettleAsync(user, QuotaMetric.LlmTokens, 60);

        await using var scope = Host.ScopeFor(user);
        var quota = scope.ServiceProvider.GetRequiredService<IQuotaService>();
        var e = await Assert.ThrowsAsync<QuotaExceededException>(() => quota.ReserveAsync(QuotaMetric.LlmTokens, 41));

        Assert.Equal(QuotaMetric.LlmTokens, e.Denial.Metric);
        Assert.Equal(100, e.Denial.Limit);
        Assert.Equal(40, e.Denial.Remaining);
        Assert.Equal("tenant", e.Denial.Scope);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), e.Denial.ResetsAt);
        var status = await quota.GetStatusAsync();
        Assert.Equal(60, status.Tenant.Single(l => l.Metric == QuotaMetric.LlmTokens).Used);
        Assert.Equal(40, status.RemainingFor(QuotaMetric.LlmTokens));
    }

    [Fact]
    public async Task Failed_work_is_released_and_not_charged_but_recorded()
    {
        var (_, user) = await Host.CreateTenantAsync("fail", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.PredictionRows] = (10, null) });
        await using (var scope = Host.ScopeFor(user))
        {
            var quota = scope.ServiceProvider.GetRequiredService<IQuotaService>();
            await using var lease = await quota.ReserveAsync(QuotaMetric.PredictionRows, 10, "medical-breast-cancer");
            // The work throws; disposing the unsettled lease releases it.
        }

        await using var check = Host.ScopeFor(user);
        var status = await check.ServiceProvider.GetRequiredService<IQuotaService>().GetStatusAsync();
        Assert.Equal(0, status.Tenant.Single(l => l.Metric == QuotaMetric.PredictionRows).Used);
        var db = check.ServiceProvider.GetRequiredService<PortalDbContext>();
        var record = await db.UsageRecords.SingleAsync();
        Assert.Equal(UsageOutcome.Failed, record.Outcome);
        Assert.Equal(0, record.Amount);
        Assert.Equal("medical-breast-cancer", record.TemplateId);
        Assert.Empty(await db.QuotaReservations.ToListAsync());

        // The released units are available again.
        await ReserveAndSettleAsync(user, QuotaMetric.PredictionRows, 10);
    }

    [Fact]
    public async Task Settling_charges_the_actual_amount_and_writes_one_usage_record()
    {
        var (_, user) = await Host.CreateTenantAsync("settle", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.PredictionRows] = (100, null) });
        await using var scope = Host.ScopeFor(user);
        var quota = scope.ServiceProvider.GetRequiredService<IQuotaService>();
        var lease = await quota.ReserveAsync(QuotaMetric.PredictionRows, 50, "finance-credit-risk");
        Host.Clock.Advance(TimeSpan.FromMilliseconds(1500));
        await lease.SettleAsync(30, UsageOutcome.Cancelled);

        var status = await quota.GetStatusAsync();
        Assert.Equal(30, status.Tenant.Single(l => l.Metric == QuotaMetric.PredictionRows).Used);
        Assert.Equal(30, status.User.Single(l => l.Metric == QuotaMetric.PredictionRows).Used);
        var record = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().UsageRecords.SingleAsync();
        Assert.Equal((30L, UsageOutcome.Cancelled, UsageChannel.Ui, user.UserId, 1500L), (record.Amount, record.Outcome, record.Channel, record.UserId, record.DurationMs));
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.SettleAsync(1));
    }

    [Fact]
    public async Task A_user_limit_below_the_tenant_limit_is_the_one_that_applies()
    {
        var (tenantId, user) = await Host.CreateTenantAsync("userlimit", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.Requests] = (1_000, null) });
        await using (var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            db.QuotaLimits.Add(new QuotaLimit { TenantId = tenantId, Scope = QuotaScope.User, SubjectId = user.UserId, Metric = QuotaMetric.Requests, PeriodLimit = 3 });
            await db.SaveChangesAsync();
        }

        for (var i = 0; i < 3; i++)
        {
            await ReserveAndSettleAsync(user, QuotaMetric.Requests, 1);
        }

        var e = await Assert.ThrowsAsync<QuotaExceededException>(() => ReserveAndSettleAsync(user, QuotaMetric.Requests, 1));
        Assert.Equal("user", e.Denial.Scope);
        Assert.Equal(3, e.Denial.Limit);
    }

    [Fact]
    public async Task The_daily_cap_resets_at_midnight_utc_and_the_month_at_the_first()
    {
        var (_, user) = await Host.CreateTenantAsync("daily", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.Requests] = (5, 2) });
        await ReserveAndSettleAsync(user, QuotaMetric.Requests, 2);
        var daily = await Assert.ThrowsAsync<QuotaExceededException>(() => ReserveAndSettleAsync(user, QuotaMetric.Requests, 1));
        Assert.Equal("day", daily.Denial.Period);
        Assert.Equal(new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero), daily.Denial.ResetsAt);

        Host.Clock.Advance(TimeSpan.FromHours(12)); // 2026-11-16 00:00 UTC
        await ReserveAndSettleAsync(user, QuotaMetric.Requests, 2);
        Host.Clock.Advance(TimeSpan.FromDays(1));
        await ReserveAndSettleAsync(user, QuotaMetric.Requests, 1);
        var monthly = await Assert.ThrowsAsync<QuotaExceededException>(() => ReserveAndSettleAsync(user, QuotaMetric.Requests, 1));
        Assert.Equal("month", monthly.Denial.Period);

        Host.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 0, 1, TimeSpan.Zero));
        await ReserveAndSettleAsync(user, QuotaMetric.Requests, 2);
    }

    [Fact]
    public async Task Stored_bytes_are_a_running_total_that_deleting_gives_back()
    {
        var (_, user) = await Host.CreateTenantAsync("storage", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.StorageBytes] = (1_000, null) });
        await ReserveAndSettleAsync(user, QuotaMetric.StorageBytes, 800);
        Host.Clock.SetUtcNow(new DateTimeOffset(2027, 1, 5, 0, 0, 0, TimeSpan.Zero));
        await Assert.ThrowsAsync<QuotaExceededException>(() => ReserveAndSettleAsync(user, QuotaMetric.StorageBytes, 300));

        await using (var scope = Host.ScopeFor(user))
        {
            await scope.ServiceProvider.GetRequiredService<IQuotaService>().CreditAsync(QuotaMetric.StorageBytes, 500, user.UserId);
        }

        await ReserveAndSettleAsync(user, QuotaMetric.StorageBytes, 300);
    }

    [Fact]
    public async Task Reservations_of_crashed_work_are_returned_after_the_timeout()
    {
        var (_, user) = await Host.CreateTenantAsync("crash", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.PredictionRows] = (10, null) });
        await using (var scope = Host.ScopeFor(user))
        {
            // Reserved and never settled nor disposed: the process "crashed".
            _ = await scope.ServiceProvider.GetRequiredService<IQuotaService>().ReserveAsync(QuotaMetric.PredictionRows, 10);
        }

        await Assert.ThrowsAsync<QuotaExceededException>(() => ReserveAndSettleAsync(user, QuotaMetric.PredictionRows, 1));
        Host.Clock.Advance(TimeSpan.FromHours(7));
        await using (var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            Assert.Equal(1, await QuotaService.ReleaseExpiredAsync(db, Host.Clock.GetUtcNow(), CancellationToken.None));
        }

        await ReserveAndSettleAsync(user, QuotaMetric.PredictionRows, 10);
    }
}
