namespace Portal.Core.Quotas;

/// <summary>A named set of limits that a tenant is on (e.g. "Free", "Standard").</summary>
public sealed class QuotaPlan
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public required string Name { get; set; }

    public List<QuotaPlanLimit> Limits { get; set; } = [];
}

/// <summary>One metric's limits in a plan. A null limit means unlimited.</summary>
public sealed class QuotaPlanLimit
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid QuotaPlanId { get; set; }

    public QuotaMetric Metric { get; set; }

    /// <summary>Per calendar month (UTC); for <see cref="QuotaMetric.StorageBytes"/> the total that may be stored.</summary>
    public long? PeriodLimit { get; set; }

    /// <summary>Optional cap per UTC day (not used for running totals).</summary>
    public long? DailyLimit { get; set; }

    /// <summary>Requests per minute for each user and each API key (only for <see cref="QuotaMetric.Requests"/>).</summary>
    public long? PerMinuteLimit { get; set; }

    public LimitValues Values => new(PeriodLimit, DailyLimit, PerMinuteLimit);
}
