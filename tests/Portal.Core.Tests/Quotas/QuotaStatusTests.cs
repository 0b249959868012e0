using Portal.Core.Quotas;

namespace Portal.Core.Tests.Quotas;

public sealed class QuotaStatusTests
{
    private static readonly DateTimeOffset MonthEnd = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset DayEnd = new(2026, 11, 16, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_tightest_limit_binds_with_its_own_reset_time()
    {
        var status = new QuotaStatus(
            [new QuotaUsageLine(QuotaMetric.Requests, 100, 5_000, 990, 1_000, MonthEnd, DayEnd)],
            [new QuotaUsageLine(QuotaMetric.Requests, 100, 200, 90, null, MonthEnd)], []);

        var headroom = status.HeadroomFor(QuotaMetric.Requests);
        Assert.Equal(new QuotaHeadroom(10, DayEnd, "tenant"), headroom);
        Assert.True(headroom.Allows(10));
        Assert.False(headroom.Allows(11));
    }

    [Fact]
    public void Unlimited_metrics_allow_anything()
    {
        var status = new QuotaStatus(
            [new QuotaUsageLine(QuotaMetric.LlmTokens, 1_000_000, null, null, null, MonthEnd)],
            [new QuotaUsageLine(QuotaMetric.LlmTokens, 1_000_000, null, null, null, MonthEnd)], []);
        Assert.Equal(new QuotaHeadroom(null, null), status.HeadroomFor(QuotaMetric.LlmTokens));
        Assert.True(status.HeadroomFor(QuotaMetric.LlmTokens).Allows(long.MaxValue));
    }

    [Fact]
    public void A_key_limit_below_the_users_binds()
    {
        var status = new QuotaStatus(
            [new QuotaUsageLine(QuotaMetric.Requests, 0, 100_000, null, null, MonthEnd)],
            [new QuotaUsageLine(QuotaMetric.Requests, 30, 1_000, null, null, MonthEnd)],
            [new QuotaUsageLine(QuotaMetric.Requests, 20, 25, null, null, MonthEnd)]);
        Assert.Equal(new QuotaHeadroom(5, MonthEnd, "key"), status.HeadroomFor(QuotaMetric.Requests));
    }

    [Fact]
    public void A_user_limit_below_the_tenants_binds()
    {
        var status = new QuotaStatus(
            [new QuotaUsageLine(QuotaMetric.PredictionRows, 0, 1_000_000, null, null, MonthEnd)],
            [new QuotaUsageLine(QuotaMetric.PredictionRows, 40, 50, null, null, MonthEnd)], []);
        Assert.Equal(10, status.RemainingFor(QuotaMetric.PredictionRows));
    }
}
