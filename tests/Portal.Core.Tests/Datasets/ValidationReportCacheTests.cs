using Portal.Core;
using Portal.Core.Datasets;
using Portal.Core.Templates;

namespace Portal.Core.Tests.Datasets;

public sealed class ValidationReportCacheTests
{
    private static TemplateManifest Manifest(string version) => new()
    {
        Id = "credit",
        Industry = "finance",
        Kind = TemplateKinds.TabularClassification,
        ModelVersion = version,
        Title = new("t", "t"),
        Description = new("d", "d"),
        Disclaimer = new("x", "x"),
        Output = new TemplateOutput { LabelColumn = "y", PositiveLabel = "bad", NegativeLabel = "good" },
        Inputs =
        [
            new InputColumn { Name = "amount", Type = InputType.Number, Description = new("a", "a"), Baseline = "1" },
            new InputColumn { Name = "months", Type = InputType.Integer, Description = new("m", "m"), Baseline = "1" },
        ],
    };

    private static ValidationReport Report(int valid) =>
        new(10, valid, [], [new CellError(1, "amount", new LocalizableText("'{0}' is not a number", "x"))], 1, new Dictionary<string, int> { ["amount"] = 1 },
            ColumnMapping.Match(Manifest("1"), ["amount", "months"]));

    /// <summary>
    /// A report is found again only for the same dataset, template model and mapping: the order of a mapping's entries
    /// and no mapping against an empty one do not matter; another dataset, model version or mapped column does.
    /// </summary>
    [Fact]
    public void A_report_is_found_for_the_same_dataset_model_and_mapping_only()
    {
        using var cache = new ValidationReportCache();
        var dataset = Guid.NewGuid();
        var mapping = new Dictionary<string, string> { ["amount"] = "Amount (DM)", ["months"] = "Duration" };
        cache.Set(dataset, Manifest("1"), mapping, Report(9));
        cache.Set(dataset, Manifest("1"), null, Report(7));

        Assert.True(cache.TryGet(dataset, Manifest("1"), new Dictionary<string, string> { ["months"] = "Duration", ["amount"] = "Amount (DM)" }, out var mapped));
        Assert.Equal(9, mapped.ValidRows);
        Assert.True(cache.TryGet(dataset, Manifest("1"), new Dictionary<string, string>(), out var automatic));
        Assert.Equal(7, automatic.ValidRows);

        Assert.False(cache.TryGet(Guid.NewGuid(), Manifest("1"), null, out _));
        Assert.False(cache.TryGet(dataset, Manifest("2"), null, out _));
        Assert.False(cache.TryGet(dataset, Manifest("1"), new Dictionary<string, string> { ["amount"] = "Amount (DM)", ["months"] = "Months" }, out _));
        Assert.False(cache.TryGet(dataset, Manifest("1"), new Dictionary<string, string> { ["amount"] = "Amount (DM)" }, out _));
    }
}
