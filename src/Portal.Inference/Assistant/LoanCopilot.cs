using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.SemanticKernel;
using Portal.Core.Assistant;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Inference.Assistant;

/// <summary>A scored loan application: the model's probability of bad credit, its band and suggestion, and what drives it.</summary>
public sealed record LoanReview(
    string ModelVersion, double Probability, string Band, string Suggestion,
    IReadOnlyList<Contribution> RaisingRisk, IReadOnlyList<Contribution> LoweringRisk);

/// <summary>
/// The loan copilot's core: reads an application from a message (<c>name: value</c> lines or a JSON object), scores it
/// with the credit-risk template's model (metered as prediction rows, like any other scoring), and explains the score.
/// Both engines use it: the local one composes the decision memo from it; a generative model gets it through a Semantic
/// Kernel function and drafts the memo.
/// </summary>
public sealed partial class LoanCopilot(TabularPredictionService predictions, TemplateCatalog catalog)
{
    /// <summary>Bands of P(bad credit): under 0.2 approve, under 0.5 refer to an officer, otherwise decline.</summary>
    public const double ReferAbove = 0.2;
    public const double DeclineAbove = 0.5;

    /// <summary>The application's cells by input name, and the inputs it lacks.</summary>
    public (Dictionary<string, object?> Row, IReadOnlyList<string> Missing) Read(string scoringTemplate, string message)
    {
        var manifest = Manifest(scoringTemplate);
        var byKey = manifest.Inputs.ToDictionary(i => Key(i.Name), i => i.Name);
        var row = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (message.TrimStart().StartsWith('{'))
        {
            try
            {
                foreach (var p in JsonDocument.Parse(message).RootElement.EnumerateObject())
                {
                    if (byKey.TryGetValue(Key(p.Name), out var name))
                    {
                        row[name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: read it as lines.
            }
        }

        foreach (Match m in Pair().Matches(message))
        {
            if (byKey.TryGetValue(Key(m.Groups[1].Value), out var name) && !row.ContainsKey(name))
            {
                row[name] = m.Groups[2].Value.Trim().Trim('"', '\'');
            }
        }

        return (row, [.. manifest.Inputs.Select(i => i.Name).Where(n => !row.ContainsKey(n))]);
    }

    /// <summary>Scores and explains one application; the errors when a value is not valid (nothing charged then).</summary>
    public async Task<(LoanReview? Review, IReadOnlyList<CellError> Errors)> ReviewAsync(string scoringTemplate, Dictionary<string, object?> row, CancellationToken cancellationToken)
    {
        var outcome = await predictions.PredictAsync(scoringTemplate, [row], explain: true, cancellationToken);
        if (outcome.Result is not { } result)
        {
            return (null, outcome.Errors);
        }

        var p = result.Predictions[0];
        var probability = p.Probability ?? 0;
        var (band, suggestion) = (English.Bands[Tier(probability)], English.Suggestions[Tier(probability)]);
        var factors = p.Contributions ?? [];
        return (new LoanReview(
            result.ModelVersion, probability, band, suggestion,
            [.. factors.Where(f => f.Effect > 0.005).OrderByDescending(f => f.Effect).Take(5)],
            [.. factors.Where(f => f.Effect < -0.005).OrderBy(f => f.Effect).Take(3)]), []);
    }

    /// <summary>The words of the memo in one language (composite formats; bands and suggestions by <see cref="Tier"/>).</summary>
    private sealed record MemoWords(
        string Title, string Probability, string NextStep, string Raising, string Lowering, string Factor, string Closing, string[] Bands, string[] Suggestions);

    private static readonly MemoWords English = new(
        "Credit review (draft) — model {0} {1}\n\n",
        "Estimated probability of bad credit: {0:P1} ({1}).\n",
        "Suggested next step: {0} (bands: under {1:P0} approve, {1:P0}–{2:P0} refer, {2:P0} and over decline).\n",
        "\nWhat raises the risk (percentage points of probability):\n",
        "\nWhat lowers it:\n",
        "- {0} = {1} (typical: {2}): {3:+0.0;-0.0}\n",
        "\nNo generative model is configured: this memo was composed from the model's score and explanation. A credit officer decides; the model was trained on historical German loans (see its model card) and must not be the only basis of a decision.",
        ["low risk", "medium risk", "high risk"],
        ["approve under the usual terms", "refer to a credit officer for review", "decline, or ask for security or a co-signer"]);

    private static readonly MemoWords Chinese = new(
        "信用审查（草稿）— 模型 {0} {1}\n\n",
        "估计的不良信用概率：{0:P1}（{1}）。\n",
        "建议的下一步：{0}（区间：低于 {1:P0} 批准，{1:P0}–{2:P0} 转交审查，{2:P0} 及以上拒绝）。\n",
        "\n提高风险的因素（概率的百分点）：\n",
        "\n降低风险的因素：\n",
        "- {0} = {1}（典型值：{2}）：{3:+0.0;-0.0}\n",
        "\n未配置生成式模型：本备忘录由模型的评分和解释组成。由信贷员作出决定；该模型基于德国的历史贷款训练（见其模型卡），不得作为决定的唯一依据。",
        ["低风险", "中等风险", "高风险"],
        ["按常规条件批准", "转交信贷员审查", "拒绝，或要求提供担保或共同借款人"]);

    /// <summary>0 under <see cref="ReferAbove"/> (approve), 1 under <see cref="DeclineAbove"/> (refer), otherwise 2 (decline).</summary>
    private static int Tier(double probability) => probability >= DeclineAbove ? 2 : probability >= ReferAbove ? 1 : 0;

    /// <summary>The memo the local engine writes: the score, the band and suggestion, the factors, and who must decide.</summary>
    public static string Memo(LoanReview r, string scoringTemplate, bool chinese)
    {
        var words = chinese ? Chinese : English;
        var tier = Tier(r.Probability);
        var text = new StringBuilder();
        text.AppendFormat(CultureInfo.InvariantCulture, words.Title, scoringTemplate, r.ModelVersion);
        text.AppendFormat(CultureInfo.InvariantCulture, words.Probability, r.Probability, words.Bands[tier]);
        text.AppendFormat(CultureInfo.InvariantCulture, words.NextStep, words.Suggestions[tier], ReferAbove, DeclineAbove);
        foreach (var (heading, factors) in new[] { (words.Raising, r.RaisingRisk), (words.Lowering, r.LoweringRisk) }.Where(g => g.Item2.Count > 0))
        {
            text.Append(heading);
            foreach (var f in factors)
            {
                text.AppendFormat(CultureInfo.InvariantCulture, words.Factor, f.Feature, f.Value, f.Baseline, f.Effect * 100);
            }
        }

        text.Append(words.Closing);
        return text.ToString();
    }

    /// <summary>What to say when inputs are missing or invalid (a value's error is the portal's English cell message).</summary>
    public static string Incomplete(IReadOnlyList<string> missing, IReadOnlyList<CellError> errors, TemplateManifest manifest, bool chinese)
    {
        var text = new StringBuilder(chinese
            ? "要审查一份申请，我需要信用风险模型的每个输入，每行一个 `name: value`（或一个 JSON 对象）。"
            : "To review an application I need every input of the credit-risk model, one `name: value` per line (or a JSON object).");
        if (missing.Count > 0)
        {
            text.Append(chinese ? "\n\n缺少：" : "\n\nMissing:");
            foreach (var name in missing)
            {
                var input = manifest.Inputs.First(i => i.Name == name);
                text.Append("\n- ").Append(name).Append(input.Categories is { Count: > 0 } c
                    ? chinese ? $"（以下之一：{string.Join(", ", c)}）" : $" (one of: {string.Join(", ", c)})"
                    : input.Unit is { } u ? chinese ? $"（{u.ZhCn}）" : $" ({u.En})" : string.Empty);
            }
        }

        foreach (var e in errors)
        {
            text.Append("\n- ").Append(e.Column).Append(": ").Append(e.Message);
        }

        return text.ToString();
    }

    public TemplateManifest Manifest(string scoringTemplate) =>
        catalog.Find(scoringTemplate)?.Manifest ?? throw new InvalidOperationException($"The copilot's model template '{scoringTemplate}' is not installed.");

    private static string Key(string name) => new([.. name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);

    [GeneratedRegex(@"(?m)^[\s\-*]*([A-Za-z][\w ]{0,40}?)\s*[:=]\s*(.+?)\s*$")]
    private static partial Regex Pair();
}

/// <summary>The credit-risk model as a Semantic Kernel function, for the copilot's generative path.</summary>
public sealed class CreditRiskPlugin(LoanCopilot copilot, string scoringTemplate)
{
    [KernelFunction("score_application")]
    [Description("Scores a loan application with the credit-risk model and explains the score: probability of bad credit, risk band, suggested next step, and the inputs that raise or lower the risk.")]
    public async Task<string> ScoreAsync([Description("The application as a JSON object of input name to value")] string application, CancellationToken cancellationToken)
    {
        var (row, missing) = copilot.Read(scoringTemplate, application);
        if (missing.Count > 0)
        {
            return JsonSerializer.Serialize(new { missing });
        }

        var (review, errors) = await copilot.ReviewAsync(scoringTemplate, row, cancellationToken);
        return review is null ? JsonSerializer.Serialize(new { errors }) : JsonSerializer.Serialize(review, JsonSerializerOptions.Web);
    }
}
