using Portal.Core.Templates;

namespace Portal.Inference.Templates;

/// <summary>How much one input moved one prediction: the score minus the score with this input at its typical value.</summary>
/// <param name="Feature">The input column.</param>
/// <param name="Value">The row's value, as text.</param>
/// <param name="Baseline">The typical value substituted (training median or most common category).</param>
/// <param name="Effect">In the model's units: probability points of the positive label, or units of the predicted value.</param>
public sealed record Contribution(string Feature, string Value, string Baseline, double Effect);

/// <summary>
/// Model-agnostic explanations by baseline substitution on the ONNX model: for each input, score the row again with
/// that input replaced by its baseline. All F + 1 variants of a row are scored in one batch.
/// </summary>
public static class TabularExplainer
{
    public static IReadOnlyList<Contribution> Explain(TabularModel model, TabularBatch batch, int row, int top = int.MaxValue) =>
        ExplainAll(model, batch, top, [row])[0];

    /// <summary>Explains every row of <paramref name="batch"/> (or the given rows) with one scoring call of rows × (F + 1) variants.</summary>
    public static IReadOnlyList<IReadOnlyList<Contribution>> ExplainAll(TabularModel model, TabularBatch batch, int top = int.MaxValue, IReadOnlyList<int>? rows = null)
    {
        rows ??= [.. Enumerable.Range(0, batch.Count)];
        var inputs = batch.Manifest.Inputs;
        var width = inputs.Count + 1;
        var variants = new TabularBatch(batch.Manifest, rows.Count * width);
        for (var c = 0; c < inputs.Count; c++)
        {
            var baseline = inputs[c].BatchValue(inputs[c].Baseline);
            var values = batch.Values(c);
            var target = variants.Values(c);
            for (var r = 0; r < rows.Count; r++)
            {
                var from = r * width;
                Array.Fill(target, values[rows[r]], from, width);
                target[from + c + 1] = baseline;
            }
        }

        var scores = model.Score(variants);
        return [.. rows.Select((row, r) => (IReadOnlyList<Contribution>)[.. inputs
            .Select((input, c) => new Contribution(input.Name, batch.ValueText(row, c), input.Baseline, Math.Round(scores[r * width] - scores[(r * width) + c + 1], 6)))
            .OrderByDescending(x => Math.Abs(x.Effect))
            .ThenBy(x => x.Feature, StringComparer.Ordinal)
            .Take(top)])];
    }
}
