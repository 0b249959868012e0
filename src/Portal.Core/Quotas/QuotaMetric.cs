namespace Portal.Core.Quotas;

/// <summary>What the portal meters. Every metered action names one.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<QuotaMetric>))]
public enum QuotaMetric
{
    /// <summary>HTTP API requests.</summary>
    Requests = 0,
    /// <summary>Rows scored by hosted models.</summary>
    PredictionRows = 1,
    /// <summary>LLM tokens, prompt plus completion.</summary>
    LlmTokens = 2,
    /// <summary>Bytes stored (uploads, documents). A running total, not reset monthly.</summary>
    StorageBytes = 3,
}

public static class QuotaMetrics
{
    public static IReadOnlyList<QuotaMetric> All { get; } = Enum.GetValues<QuotaMetric>();

    /// <summary>True for metrics that count a stored amount rather than a flow per period.</summary>
    public static bool IsRunningTotal(this QuotaMetric metric) => metric == QuotaMetric.StorageBytes;
}
