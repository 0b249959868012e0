using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Usage;

/// <summary>How a metered action reached the portal.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<UsageChannel>))]
public enum UsageChannel
{
    Ui = 0,
    Api = 1,
}

/// <summary>How a metered action ended. Only <see cref="Succeeded"/> (and the done part of a cancelled run) is charged.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<UsageOutcome>))]
public enum UsageOutcome
{
    Succeeded = 0,
    Failed = 1,
    Cancelled = 2,
    /// <summary>Refused before any work because a limit would have been exceeded (nothing charged).</summary>
    Refused = 3,
}

/// <summary>One settled metered action, written by the quota service and never changed afterwards.</summary>
public sealed class UsageRecord : ITenantOwned
{
    public long Id { get; set; }

    public Guid TenantId { get; set; }

    public required string UserId { get; set; }

    public Guid? ApiKeyId { get; set; }

    public UsageChannel Channel { get; set; }

    public string? TemplateId { get; set; }

    public QuotaMetric Metric { get; set; }

    /// <summary>The amount charged (0 for failed work; negative when stored bytes are freed).</summary>
    public long Amount { get; set; }

    public long DurationMs { get; set; }

    public UsageOutcome Outcome { get; set; }

    public DateTimeOffset Timestamp { get; set; }
}
