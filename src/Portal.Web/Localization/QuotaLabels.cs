using System.Globalization;
using Microsoft.Extensions.Localization;
using Portal.Core.Quotas;

namespace Portal.Web.Localization;

/// <summary>The one place metered quantities get their display names and units.</summary>
public static class QuotaLabels
{
#pragma warning disable IDE1006 // "L" like in the pages, so the translation-coverage test finds these keys.
    public static string MetricLabel(this IStringLocalizer L, QuotaMetric metric) => metric switch
#pragma warning restore IDE1006
    {
        QuotaMetric.Requests => L["API requests"],
        QuotaMetric.PredictionRows => L["Prediction rows"],
        QuotaMetric.LlmTokens => L["LLM tokens"],
        QuotaMetric.StorageBytes => L["Storage"],
        _ => metric.ToString(),
    };

    /// <summary>An amount in the metric's unit: bytes as KB/MB/GB, counts with group separators.</summary>
    public static string Format(QuotaMetric metric, long amount) => metric == QuotaMetric.StorageBytes
        ? amount switch
        {
            >= 1L << 30 => $"{amount / (double)(1L << 30):0.#} GB",
            >= 1L << 20 => $"{amount / (double)(1L << 20):0.#} MB",
            >= 1L << 10 => $"{amount / 1024.0:0.#} KB",
            _ => $"{amount} B",
        }
        : amount.ToString("N0", CultureInfo.CurrentCulture);

    /// <summary>Why metered work was refused, in the reader's language.</summary>
#pragma warning disable IDE1006
    public static string Denial(IStringLocalizer L, QuotaDenial denial) => denial.ResetsAt is { } resets
        ? L["Not enough {0} left: this needs {1}, {2} remain.", L.MetricLabel(denial.Metric), Format(denial.Metric, denial.Requested), Format(denial.Metric, denial.Remaining)] + " " + L["More becomes available at {0}.", FormatUtc(resets)]
        : L["Not enough {0} left: this needs {1}, {2} remain.", L.MetricLabel(denial.Metric), Format(denial.Metric, denial.Requested), Format(denial.Metric, denial.Remaining)] + " " + L["Free some space or ask your administrator for a higher limit."];
#pragma warning restore IDE1006

    public static string FormatUtc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
