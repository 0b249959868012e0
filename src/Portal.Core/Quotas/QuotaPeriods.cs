namespace Portal.Core.Quotas;

/// <summary>Calendar periods in UTC: months for limits, days for daily caps, one open period for running totals.</summary>
public static class QuotaPeriods
{
    public const string Total = "T";

    public static string Month(DateTimeOffset now) => "M" + now.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);

    public static string Day(DateTimeOffset now) => "D" + now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset MonthResetsAt(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
    }

    public static DateTimeOffset DayResetsAt(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero).AddDays(1);
    }
}
