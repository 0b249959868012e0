using System.Globalization;
using Microsoft.Extensions.Localization;
using Portal.Core.Templates;

namespace Portal.Web.Localization;

/// <summary>The one place model metrics get their display names and number formats (model cards and runs).</summary>
public static class MetricLabels
{
    /// <summary>The metrics that are set, as (key, display name, formatted value); the key lines up two sets of metrics.</summary>
#pragma warning disable IDE1006 // "L" like in the pages, so the translation-coverage test finds these keys.
    public static IEnumerable<(string Key, string Name, string Value)> Rows(IStringLocalizer L, ModelMetrics m)
#pragma warning restore IDE1006
    {
        if (m.Auc is { } auc) yield return ("auc", "AUC", auc.ToString("0.000", CultureInfo.CurrentCulture));
        if (m.Accuracy is { } acc) yield return ("accuracy", L["Accuracy"], acc.ToString("P1", CultureInfo.CurrentCulture));
        if (m.Precision is { } p) yield return ("precision", L["Precision"], p.ToString("P1", CultureInfo.CurrentCulture));
        if (m.Recall is { } r) yield return ("recall", L["Recall"], r.ToString("P1", CultureInfo.CurrentCulture));
        if (m.F1 is { } f1) yield return ("f1", "F1", f1.ToString("0.000", CultureInfo.CurrentCulture));
        if (m.RSquared is { } r2) yield return ("r2", "R²", r2.ToString("0.000", CultureInfo.CurrentCulture));
        if (m.Rmse is { } rmse) yield return ("rmse", "RMSE", rmse.ToString("0.0", CultureInfo.CurrentCulture));
        if (m.Mae is { } mae) yield return ("mae", L["Mean absolute error"], mae.ToString("0.0", CultureInfo.CurrentCulture));
    }
}
