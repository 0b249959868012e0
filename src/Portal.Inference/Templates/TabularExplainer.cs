using System.Globalization;
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
    public static IReadOnlyList<Contribution> Explain(TabularModel model, TabularBatch batch, int row, int top = int.MaxValue)
    {
        var inputs = batch.Manifest.Inputs;
        var variants = batch.Repeat(row, inputs.Count + 1);
        for (var c = 0; c < inputs.Count; c++)
        {
            var baseline = inputs[c].Baseline;
            if (inputs[c].Type == InputType.Category)
            {
                variants.Categories(c)[c + 1] = baseline;
            }
            else
            {
                variants.Numbers(c)[c + 1] = float.Parse(baseline, CultureInfo.InvariantCulture);
            }
        }

        var scores = model.Score(variants);
        return [.. inputs
            .Select((input, c) => new Contribution(input.Name, batch.ValueText(row, c), input.Baseline, Math.Round(scores[0] - scores[c + 1], 6)))
            .OrderByDescending(x => Math.Abs(x.Effect))
            .ThenBy(x => x.Feature, StringComparer.Ordinal)
            .Take(top)];
    }
}
