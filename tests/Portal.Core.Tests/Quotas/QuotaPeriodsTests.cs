using Portal.Core.Quotas;

namespace Portal.Core.Tests.Quotas;

public sealed class QuotaPeriodsTests
{
    [Theory]
    [InlineData("2026-12-31T23:59:59+00:00", "M2026-12", "2027-01-01T00:00:00+00:00")]
    [InlineData("2027-01-01T00:00:00+00:00", "M2027-01", "2027-02-01T00:00:00+00:00")]
    [InlineData("2026-11-30T23:30:00-02:00", "M2026-12", "2027-01-01T00:00:00+00:00")] // 01:30 UTC on 1 December
    public void Months_are_calendar_months_in_utc(string now, string key, string resets)
    {
        var at = DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(key, QuotaPeriods.Month(at));
        Assert.Equal(DateTimeOffset.Parse(resets, System.Globalization.CultureInfo.InvariantCulture), QuotaPeriods.MonthResetsAt(at));
    }

    [Fact]
    public void Days_reset_at_midnight_utc()
    {
        var at = new DateTimeOffset(2028, 2, 29, 18, 0, 0, TimeSpan.FromHours(8));
        Assert.Equal("D2028-02-29", QuotaPeriods.Day(at));
        Assert.Equal(new DateTimeOffset(2028, 3, 1, 0, 0, 0, TimeSpan.Zero), QuotaPeriods.DayResetsAt(at));
    }
}
