using Portal.Core.Quotas;
using Portal.Core.Runs;
using Portal.Core.Templates;

namespace Portal.Inference.Templates;

/// <summary>One row's prediction. Classification fills Label and Probability (of the positive label); regression Value.</summary>
public sealed record Prediction(string? Label, double? Probability, double? Value, IReadOnlyList<Contribution>? Contributions);

/// <summary>Predictions in input order, with the model that made them.</summary>
public sealed record PredictionResult(string TemplateId, string ModelVersion, IReadOnlyList<Prediction> Predictions);

/// <summary>Either predictions, or the rows' errors (and then nothing was scored or charged).</summary>
public sealed record PredictionOutcome(PredictionResult? Result, IReadOnlyList<CellError> Errors);

/// <summary>
/// Scores rows with a template's model: validate against the schema (errors: nothing charged), reserve
/// <see cref="QuotaMetric.PredictionRows"/> for the rows, score (and explain), settle. The browser's try-it form and
/// the HTTP API both call this.
/// </summary>
public sealed class TabularPredictionService(TemplateCatalog catalog, IQuotaService quota, TemplateAccessService access)
{
    /// <summary>The most rows one call may score; larger sets go through dataset runs.</summary>
    public const int MaxRows = 1_000;

    public async Task<PredictionOutcome> PredictAsync(
        string templateId, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, bool explain, CancellationToken cancellationToken = default)
    {
        var pack = catalog.Find(templateId) ?? throw new KeyNotFoundException($"There is no template '{templateId}'.");
        await access.EnsureAllowedAsync(templateId, cancellationToken);
        var model = catalog.Model(templateId) ?? throw new InvalidOperationException($"'{templateId}' is not a tabular template.");
        if (rows.Count is 0 or > MaxRows)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows.Count, $"Send between 1 and {MaxRows} rows.");
        }

        var validation = TabularValidator.Validate(pack.Manifest, rows);
        if (!validation.IsValid)
        {
            return new PredictionOutcome(null, validation.Errors);
        }

        await using var lease = await quota.ReserveAsync(QuotaMetric.PredictionRows, rows.Count, templateId, cancellationToken);
        var batch = validation.Batch;
        var scores = model.Score(batch);
        var labels = ResultLabels.For(pack.Manifest);
        var explanations = explain ? TabularExplainer.ExplainAll(model, batch) : null;
        var predictions = new Prediction[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var contributions = explanations?[i];
            predictions[i] = labels is not null
                ? new Prediction(labels.Of(scores[i]), Math.Round(scores[i], 6), null, contributions)
                : new Prediction(null, null, Math.Round(scores[i], 4), contributions);
        }

        await lease.SettleAsync(rows.Count);
        return new PredictionOutcome(new PredictionResult(templateId, pack.Manifest.ModelVersion, predictions), []);
    }
}
