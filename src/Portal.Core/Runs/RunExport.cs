using System.Globalization;
using System.Text;
using Portal.Core.Datasets;
using Portal.Core.Templates;

namespace Portal.Core.Runs;

/// <summary>What travels with an export: the run's template, model, data set, counts, metrics, who and when.</summary>
public sealed record RunSummary(Run Run, TemplateManifest Manifest, string OwnerName)
{
    public IEnumerable<(string Key, string Value)> Lines()
    {
        yield return ("run", Run.Id.ToString());
        yield return ("template", $"{Manifest.Id} ({Manifest.Title.En})");
        yield return ("model version", Run.ModelVersion);
        yield return ("dataset", Run.DatasetName);
        yield return ("state", Run.State.ToString());
        yield return ("rows scored", Run.RowsDone.ToString(CultureInfo.InvariantCulture));
        yield return ("rows left out (invalid)", Run.RowsInvalid.ToString(CultureInfo.InvariantCulture));
        yield return ("charged prediction rows", Run.Charged.ToString(CultureInfo.InvariantCulture));
        yield return ("by", OwnerName);
        yield return ("created", Run.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
        if (Run.FinishedAt is { } finished)
        {
            yield return ("finished", finished.ToString("u", CultureInfo.InvariantCulture));
        }

        if (Run.Metrics is { } m)
        {
            yield return ("evaluated rows", Run.LabelledRows.ToString(CultureInfo.InvariantCulture));
            foreach (var (name, value) in new (string, double?)[] { ("AUC", m.Auc), ("accuracy", m.Accuracy), ("precision", m.Precision), ("recall", m.Recall), ("F1", m.F1), ("RMSE", m.Rmse), ("MAE", m.Mae), ("R²", m.RSquared) })
            {
                if (value is { } v)
                {
                    yield return (name, v.ToString("0.####", CultureInfo.InvariantCulture));
                }
            }
        }

        yield return ("inputs", "as the model read them: numbers as parsed, categories in the template's spelling");
        yield return ("disclaimer", Manifest.Disclaimer.En);
    }
}

/// <summary>Results as CSV (summary in leading <c>#</c> lines) or <c>.xlsx</c> (a Results and a Summary sheet), streamed.</summary>
public static class RunExport
{
    public static IReadOnlyList<string> Columns(TemplateManifest manifest, bool hasLabel)
    {
        var columns = new List<string> { "row" };
        columns.AddRange(manifest.Inputs.Select(i => i.Name));
        columns.AddRange(manifest.IsClassification ? ["prediction", "probability"] : ["value"]);
        if (hasLabel)
        {
            columns.Add(manifest.Output.LabelColumn);
        }

        return columns;
    }

    public static async Task WriteCsvAsync(Stream output, RunSummary summary, IAsyncEnumerable<ResultRow> rows, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(true), 64 * 1024, leaveOpen: true);
        foreach (var (key, value) in summary.Lines())
        {
            await writer.WriteLineAsync($"# {key}: {value.ReplaceLineEndings(" ")}".AsMemory(), cancellationToken);
        }

        var hasLabel = summary.Run.LabelColumn is not null;
        await writer.WriteLineAsync(string.Join(',', Columns(summary.Manifest, hasLabel).Select(Csv)).AsMemory(), cancellationToken);
        var line = new StringBuilder();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            line.Clear();
            line.Append(row.Row.ToString(CultureInfo.InvariantCulture));
            foreach (var input in row.Inputs)
            {
                line.Append(',').Append(Csv(input));
            }

            if (summary.Manifest.IsClassification)
            {
                line.Append(',').Append(Csv(row.Label ?? string.Empty));
            }

            line.Append(',').Append(row.Score.ToString("R", CultureInfo.InvariantCulture));
            if (hasLabel)
            {
                line.Append(',').Append(Csv(row.Actual ?? string.Empty));
            }

            await writer.WriteLineAsync(line, cancellationToken);
        }
    }

    public static async Task WriteXlsxAsync(Stream output, RunSummary summary, IAsyncEnumerable<ResultRow> rows, CancellationToken cancellationToken)
    {
        await using var xlsx = await XlsxWriter.CreateAsync(output, cancellationToken);
        await xlsx.BeginSheetAsync("Results", cancellationToken);
        var hasLabel = summary.Run.LabelColumn is not null;
        await xlsx.WriteRowAsync(Columns(summary.Manifest, hasLabel));
        var numeric = summary.Manifest.Inputs.Select(i => i.Type != InputType.Category).ToArray();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var cells = new List<object?>(numeric.Length + 4) { row.Row };
            for (var i = 0; i < row.Inputs.Count; i++)
            {
                cells.Add(numeric[i] && double.TryParse(row.Inputs[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : row.Inputs[i]);
            }

            if (summary.Manifest.IsClassification)
            {
                cells.Add(row.Label);
            }

            cells.Add(row.Score);
            if (hasLabel)
            {
                cells.Add(row.Actual);
            }

            await xlsx.WriteRowAsync(cells);
        }

        await xlsx.BeginSheetAsync("Summary", cancellationToken);
        foreach (var (key, value) in summary.Lines())
        {
            await xlsx.WriteRowAsync([key, value]);
        }
    }

    /// <summary>A CSV field: formula-neutralised, quoted when it holds a delimiter, quote or line break.</summary>
    public static string Csv(string value)
    {
        value = SpreadsheetText.Neutralise(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
