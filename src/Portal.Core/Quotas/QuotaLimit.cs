using Portal.Core.Tenancy;

namespace Portal.Core.Quotas;

/// <summary>Where in the hierarchy platform plan → tenant → user → API key a limit sits.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<QuotaScope>))]
public enum QuotaScope
{
    /// <summary>A per-tenant override of its plan, set by a platform admin.</summary>
    Tenant = 0,
    /// <summary>A member's limit below the tenant's, set by a tenant admin.</summary>
    User = 1,
    /// <summary>An API key's limit below its owner's, set by a tenant admin.</summary>
    ApiKey = 2,
}

/// <summary>
/// A limit below the plan: a tenant's override, a user's or an API key's. The tightest of plan (or tenant override),
/// user and key applies; a null value means "no limit of its own at this level".
/// </summary>
public sealed class QuotaLimit : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public QuotaScope Scope { get; set; }

    /// <summary>The user id or API key id; empty for <see cref="QuotaScope.Tenant"/>.</summary>
    public string SubjectId { get; set; } = string.Empty;

    public QuotaMetric Metric { get; set; }

    /// <summary>Per calendar month (UTC); for running totals the total that may be stored.</summary>
    public long? PeriodLimit { get; set; }

    public long? DailyLimit { get; set; }

    /// <summary>Requests per minute (only for <see cref="QuotaMetric.Requests"/>).</summary>
    public long? PerMinuteLimit { get; set; }

    public LimitValues Values => new(PeriodLimit, DailyLimit, PerMinuteLimit);
}

/// <summary>The three limits of one metric at one level; null is "unlimited at this level".</summary>
public sealed record LimitValues(long? Period, long? Daily, long? PerMinute)
{
    public static LimitValues None { get; } = new(null, null, null);

    /// <summary>The tighter of this level and a level below it, value by value.</summary>
    public LimitValues Tighten(LimitValues below) => new(Min(Period, below.Period), Min(Daily, below.Daily), Min(PerMinute, below.PerMinute));

    /// <summary>Why <paramref name="below"/> would sit above this level, or null when it fits under it.</summary>
    public string? Exceeded(LimitValues below) =>
        Above(below.Period, Period) ? $"the monthly limit {below.Period} is above {Period}"
        : Above(below.Daily, Daily) ? $"the daily limit {below.Daily} is above {Daily}"
        : Above(below.PerMinute, PerMinute) ? $"the per-minute limit {below.PerMinute} is above {PerMinute}"
        : null;

    public bool IsEmpty => Period is null && Daily is null && PerMinute is null;

    public override string ToString() => $"month={Show(Period)}; day={Show(Daily)}; minute={Show(PerMinute)}";

    private static long? Min(long? a, long? b) => a is { } x ? (b is { } y ? Math.Min(x, y) : x) : b;

    private static bool Above(long? below, long? above) => below is { } b && above is { } a && b > a;

    private static string Show(long? v) => v?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
}
