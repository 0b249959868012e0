using Portal.Core.Templates;

namespace Portal.Training;

/// <summary>Which ML.NET learner a template uses, with its fixed hyper-parameters.</summary>
internal enum Learner
{
    /// <summary>Logistic regression by SDCA on min-max normalised features.</summary>
    SdcaLogistic,
    /// <summary>Linear regression by SDCA on min-max normalised features.</summary>
    SdcaRegression,
    /// <summary>Gradient-boosted trees (FastTree), binary.</summary>
    FastTreeBinary,
    /// <summary>Gradient-boosted trees (LightGbm), binary.</summary>
    LightGbmBinary,
}

/// <summary>A reference point reported in the model card beside the model.</summary>
internal sealed record Comparison(string Name, LocalizedText Description, Func<IReadOnlyDictionary<string, string>, double>? Rule = null, IReadOnlyList<string>? DropColumns = null);

/// <summary>Everything a person decides about a template; the data decides the rest (ranges, categories, baselines).</summary>
internal sealed record TemplateSpec
{
    public required string Id { get; init; }
    public required string Industry { get; init; }
    public required string Kind { get; init; }
    public required string Dataset { get; init; }
    public required string DataSourceName { get; init; }
    public required string Licence { get; init; }
    public required string Citation { get; init; }
    public required LocalizedText Title { get; init; }
    public required LocalizedText Description { get; init; }
    public required LocalizedText Disclaimer { get; init; }
    public required string LabelColumn { get; init; }

    /// <summary>Classification: maps the label cell to the positive class (true), e.g. <c>M</c> or G3 &lt; 10.</summary>
    public Func<string, bool>? IsPositive { get; init; }

    public TemplateOutput? Output { get; init; }
    public required Learner Learner { get; init; }
    public IReadOnlyDictionary<string, string> HyperParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Column descriptions and units; columns not listed get a generated description.</summary>
    public IReadOnlyDictionary<string, (LocalizedText Description, LocalizedText? Unit)> Columns { get; init; } = new Dictionary<string, (LocalizedText, LocalizedText?)>();

    /// <summary>Allowed ranges where the domain fixes them (e.g. grades 0–20); others are derived from the data.</summary>
    public IReadOnlyDictionary<string, (double Min, double Max)> Ranges { get; init; } = new Dictionary<string, (double, double)>();

    public IReadOnlyList<Comparison> Comparisons { get; init; } = [];

    /// <summary>How hyper-parameters were chosen, when not left at the learner's defaults (said in the model card).</summary>
    public LocalizedText? Tuning { get; init; }
}
