using System.Globalization;
using Portal.Core.Runs;

namespace Portal.Core.Tests.Runs;

/// <summary>Exports neutralise spreadsheet formulas and quote what CSV needs quoted; numbers stay numbers.</summary>
public sealed class RunExportTests
{
    [Theory]
    [InlineData("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")]
    [InlineData("+SUM(A1:A9)", "'+SUM(A1:A9)")]
    [InlineData("@HYPERLINK(\"http://x\")", "\"'@HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("-2.5", "-2.5")]
    [InlineData("+7", "+7")]
    [InlineData("good, very", "\"good, very\"")]
    [InlineData("plain", "plain")]
    public void Csv_fields_are_neutralised_and_quoted(string value, string expected) =>
        Assert.Equal(expected, RunExport.Csv(value));

    [Fact]
    public void The_summary_names_template_model_dataset_counts_metrics_owner_and_times()
    {
        var run = new Run
        {
            OwnerId = "u1", TemplateId = "medical-breast-cancer", ModelVersion = "1.abc", DatasetName = "ward 3", State = RunState.Succeeded,
            RowsDone = 90, RowsInvalid = 2, Charged = 90, LabelledRows = 90, LabelColumn = "diagnosis",
            CreatedAt = new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero), FinishedAt = new DateTimeOffset(2026, 11, 29, 8, 0, 3, TimeSpan.Zero),
            Metrics = new Portal.Core.Templates.ModelMetrics { Auc = 0.9876, Accuracy = 0.95 },
        };
        var manifest = System.Text.Json.JsonSerializer.Deserialize<Portal.Core.Templates.TemplateManifest>(
            File.ReadAllText(Path.Combine(Repository(), "src", "Portal.Templates", "medical-breast-cancer", "template.json")),
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        var lines = new RunSummary(run, manifest, "dr.lee@hospital.demo").Lines().ToDictionary(l => l.Key, l => l.Value);
        Assert.Equal("ward 3", lines["dataset"]);
        Assert.Equal("1.abc", lines["model version"]);
        Assert.Equal("90", lines["rows scored"]);
        Assert.Equal("2", lines["rows left out (invalid)"]);
        Assert.Equal("0.9876", lines["AUC"]);
        Assert.Equal("dr.lee@hospital.demo", lines["by"]);
        Assert.Equal("as the model read them: numbers as parsed, categories in the template's spelling", lines["inputs"]);
        Assert.Equal(run.FinishedAt.Value.ToString("u", CultureInfo.InvariantCulture), lines["finished"]);
        Assert.StartsWith("medical-breast-cancer (", lines["template"], StringComparison.Ordinal);
    }

    private static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root was not found.");
    }
}
