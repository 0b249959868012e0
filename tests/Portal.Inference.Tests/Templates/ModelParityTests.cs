using Portal.Core.Templates;

namespace Portal.Inference.Tests.Templates;

/// <summary>The committed ONNX models reproduce ML.NET's scores and the model cards' figures on the validation split.</summary>
public sealed class ModelParityTests
{
    public static TheoryData<string> Ids => [.. Packs.Ids];

    /// <summary>The pack's held-out rows (with ML.NET's scores) and the committed ONNX model's scores for them.</summary>
    private static (TemplatePack Pack, List<Dictionary<string, string>> Rows, float[] Scores) ScoreValidationRows(string id)
    {
        using var catalog = Packs.Catalog();
        var pack = catalog.Find(id)!;
        var (_, rows) = Packs.ReadCsv(Path.Combine(pack.Folder, "validation.csv"));
        return (pack, rows, catalog.Model(id)!.Score(Packs.Batch(pack.Manifest, rows)));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Onnx_runtime_scores_equal_mlnet_scores_on_the_validation_split(string id)
    {
        var (pack, rows, scores) = ScoreValidationRows(id);

        Assert.Equal(pack.Card!.Data.ValidationRows, rows.Count);
        var maxDiff = rows.Select((r, i) => Math.Abs(Packs.Number(r["mlnet_score"]) - scores[i])).Max();
        Assert.True(maxDiff < 1e-4, $"{id}: max |ONNX − ML.NET| = {maxDiff}");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_model_cards_metrics_are_reproduced_from_the_committed_model_and_rows(string id)
    {
        var (pack, rows, scores) = ScoreValidationRows(id);
        var output = pack.Manifest.Output;
        var metrics = pack.Manifest.IsClassification
            ? MetricsCalculator.Classification(
                [.. rows.Select(r => output.PositiveBelow is { } below ? Packs.Number(r[output.LabelColumn]) < below : r[output.LabelColumn] == output.PositiveLabel)], scores)
            : MetricsCalculator.Regression([.. rows.Select(r => Packs.Number(r[output.LabelColumn]))], scores);

        var card = pack.Card!.Validation;
        Assert.Equal(card.Auc ?? double.NaN, metrics.Auc ?? double.NaN, 9);
        Assert.Equal(card.Accuracy ?? double.NaN, metrics.Accuracy ?? double.NaN, 9);
        Assert.Equal(card.RSquared ?? double.NaN, metrics.RSquared ?? double.NaN, 6);
        Assert.Equal(card.ConfusionMatrix?.SelectMany(x => x), metrics.ConfusionMatrix?.SelectMany(x => x));
    }

    [Fact]
    public void The_models_reach_the_published_levels_on_the_validation_split()
    {
        Assert.True(Packs.CommittedCard("medical-breast-cancer").Validation.Accuracy >= 0.95);
        Assert.True(Packs.CommittedCard("finance-credit-risk").Validation.Auc >= 0.75);
        Assert.True(Packs.CommittedCard("medical-diabetes-progression").Validation.RSquared >= 0.40);
        var student = Packs.CommittedCard("education-student-performance");
        var naive = student.Comparisons.Single(c => c.Name == "naive-g2").Metrics.Accuracy;
        Assert.True(student.Validation.Accuracy >= 0.91 && student.Validation.Accuracy >= naive, $"student {student.Validation.Accuracy} vs naive {naive}");
    }
}
