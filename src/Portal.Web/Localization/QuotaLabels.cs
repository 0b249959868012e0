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
    public static string Denial(IStringLocalizer L, QuotaDenial denial) =>
        Shortfall(L, denial.Metric, denial.Scope, denial.Requested, denial.Remaining, denial.ResetsAt);

    /// <summary>Work of <paramref name="needed"/> does not fit: whose limit, what remains, and when more comes (or what to do).</summary>
    public static string Shortfall(IStringLocalizer L, QuotaMetric metric, string? scope, long needed, long remaining, DateTimeOffset? resetsAt)
    {
        var whose = scope switch
        {
            "user" => L["Your own limit is reached."],
            "key" => L["This API key's limit is reached."],
            _ => L["Your organisation's limit is reached."],
        };
        var what = L["Not enough {0} left: this needs {1}, {2} remain.", L.MetricLabel(metric), Format(metric, needed), Format(metric, remaining)];
        return resetsAt is { } resets
            ? $"{whose} {what} {L["More becomes available at {0}.", FormatUtc(resets)]}"
            : $"{whose} {what} {L["Free some space or ask your administrator for a higher limit."]}";
    }
#pragma warning restore IDE1006

    /// <summary>A level's limits in one line, e.g. "5,000/month · 1,000/day · 60/min", or "unlimited".</summary>
#pragma warning disable IDE1006
    public static string Describe(IStringLocalizer L, QuotaMetric metric, LimitValues v)
#pragma warning restore IDE1006
    {
        var parts = new List<string>();
        if (v.Period is { } p)
        {
            parts.Add(metric.IsRunningTotal() ? Format(metric, p) : L["{0}/month", Format(metric, p)]);
        }

        if (v.Daily is { } d)
        {
            parts.Add(L["{0}/day", Format(metric, d)]);
        }

        if (v.PerMinute is { } m)
        {
            parts.Add(L["{0}/min", Format(metric, m)]);
        }

        return parts.Count == 0 ? L["unlimited"] : string.Join(" · ", parts);
    }

    public static string FormatUtc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
