using System.Globalization;
using System.Text.Json.Serialization;

namespace Portal.Core.Templates;

/// <summary>Text in English and Simplified Chinese (<c>{"en": "…", "zh-CN": "…"}</c>).</summary>
public sealed record LocalizedText(
    [property: JsonPropertyName("en")] string En,
    [property: JsonPropertyName("zh-CN")] string ZhCn)
{
    /// <summary>The text for the current UI culture.</summary>
    [JsonIgnore]
    public string Current => CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? ZhCn : En;

    public override string ToString() => Current;
}

/// <summary>How an input column is typed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InputType>))]
public enum InputType
{
    /// <summary>A real number.</summary>
    [JsonStringEnumMemberName("number")] Number,
    /// <summary>A whole number.</summary>
    [JsonStringEnumMemberName("integer")] Integer,
    /// <summary>One of a fixed set of values.</summary>
    [JsonStringEnumMemberName("category")] Category,
}

/// <summary>One input column of a template: the data set's own column name and its rules.</summary>
public sealed record InputColumn
{
    public required string Name { get; init; }

    public required InputType Type { get; init; }

    /// <summary>The unit of a number, in English and Simplified Chinese (e.g. months, 个月).</summary>
    public LocalizedText? Unit { get; init; }

    /// <summary>Smallest allowed value (numbers).</summary>
    public double? Min { get; init; }

    /// <summary>Largest allowed value (numbers).</summary>
    public double? Max { get; init; }

    /// <summary>Allowed values (categories).</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    public required LocalizedText Description { get; init; }

    /// <summary>The typical value (training median or mode): what explanations substitute to measure a feature's effect.</summary>
    public required string Baseline { get; init; }

    /// <summary>
    /// The position of the category <paramref name="text"/> names, case-insensitively (the first when two differ only
    /// in case), or -1. Cells read from a file are matched this way without making
    /// strings: only names of the cell's length are compared, the exact spelling first, which is several times faster
    /// than hashing the cell.
    /// </summary>
    internal int CategoryIndex(ReadOnlySpan<char> text)
    {
        if (ExactCategoryIndex(text) is var exact and >= 0)
        {
            return exact;
        }

        var byLength = _categoriesByLength ??= IndexByLength(Categories ?? []);
        if (text.Length >= byLength.Length || byLength[text.Length] is not { } candidates)
        {
            return -1;
        }

        foreach (var (name, index) in candidates)
        {
            if (text.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return index;
            }
        }

        return -1;
    }

    /// <summary>The position <see cref="CategoryIndex"/> gives for a cell spelled exactly as a category, or -1.</summary>
    internal int ExactCategoryIndex(ReadOnlySpan<char> text)
    {
        var byLength = _categoriesByLength ??= IndexByLength(Categories ?? []);
        if (text.Length >= byLength.Length || byLength[text.Length] is not { } candidates)
        {
            return -1;
        }

        foreach (var (name, index) in candidates)
        {
            if (text.SequenceEqual(name))
            {
                return index;
            }
        }

        return -1;
    }

    private (string Name, int Index)[]?[]? _categoriesByLength;

    /// <summary>Names by length, each with the position of the first name equal to it case-insensitively.</summary>
    private static (string, int)[]?[] IndexByLength(IReadOnlyList<string> names)
    {
        var byLength = new (string, int)[]?[names.Count == 0 ? 0 : names.Max(n => n.Length) + 1];
        for (var i = 0; i < names.Count; i++)
        {
            var first = Enumerable.Range(0, i + 1).First(j => string.Equals(names[j], names[i], StringComparison.OrdinalIgnoreCase));
            byLength[names[i].Length] = [.. byLength[names[i].Length] ?? [], (names[i], first)];
        }

        return byLength;
    }

    /// <summary>
    /// The value a row of this column holds in a <see cref="TabularBatch"/> for <paramref name="text"/>: the number, or the
    /// category's position. Used for baselines, which the manifest writes as text.
    /// </summary>
    public float BatchValue(string text) => Type == InputType.Category
        ? CategoryIndex(text) is var index and >= 0 ? index : throw new KeyNotFoundException($"'{text}' is not a category of {Name}.")
        : float.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What a template predicts.</summary>
public sealed record TemplateOutput
{
    /// <summary>The output of a template that predicts nothing (assistants).</summary>
    public static TemplateOutput None { get; } = new() { LabelColumn = string.Empty };

    /// <summary>The label column in the data set (e.g. <c>diagnosis</c>); when present in an upload, runs are evaluated.</summary>
    public required string LabelColumn { get; init; }

    /// <summary>Classification: the label whose probability is reported (e.g. <c>M</c>).</summary>
    public string? PositiveLabel { get; init; }

    /// <summary>Classification: the other label (e.g. <c>B</c>).</summary>
    public string? NegativeLabel { get; init; }

    /// <summary>Classification: display names of the labels.</summary>
    public IReadOnlyDictionary<string, LocalizedText>? LabelNames { get; init; }

    /// <summary>
    /// Classification from a numeric label column: the positive label applies when the value is below this (e.g. G3 &lt; 10
    /// means <c>fail</c>); null when the column holds the label names themselves.
    /// </summary>
    public double? PositiveBelow { get; init; }

    /// <summary>Regression: what the value is and its unit.</summary>
    public LocalizedText? ValueName { get; init; }

    public LocalizedText? Unit { get; init; }

    /// <summary>A label's display name in the current UI culture (the label itself when it has none).</summary>
    public string LabelName(string? label) =>
        label is not null && LabelNames?.GetValueOrDefault(label) is { } name ? name.Current : label ?? string.Empty;
}

/// <summary>The kinds of template; assistant kinds come with the assistant feature.</summary>
public static class TemplateKinds
{
    public const string TabularClassification = "tabular-classification";
    public const string TabularRegression = "tabular-regression";

    public const string Assistant = "assistant";

    public static bool IsTabular(string kind) => kind is TabularClassification or TabularRegression;
}

/// <summary>An assistant template's behaviour, from <c>template.json</c>.</summary>
public sealed record AssistantSpec
{
    /// <summary><c>tutor</c> (answers from the organisation's documents), <c>loan-copilot</c> or <c>note-summary</c>.</summary>
    public required string Mode { get; init; }

    /// <summary>The Semantic Kernel prompt template file in the pack (used with a generative model).</summary>
    public string Prompt { get; init; } = "prompt.txt";

    /// <summary>The tabular template whose model the assistant calls (the loan copilot: <c>finance-credit-risk</c>).</summary>
    public string? UsesTemplate { get; init; }

    /// <summary>Example questions shown to users.</summary>
    public IReadOnlyList<LocalizedText> Examples { get; init; } = [];
}

/// <summary>A pack's <c>template.json</c>.</summary>
public sealed record TemplateManifest
{
    public required string Id { get; init; }

    /// <summary><c>medical</c>, <c>finance</c> or <c>education</c>.</summary>
    public required string Industry { get; init; }

    public required string Kind { get; init; }

    /// <summary>Bumped whenever the model is retrained; travels with every result.</summary>
    public required string ModelVersion { get; init; }

    public required LocalizedText Title { get; init; }

    public required LocalizedText Description { get; init; }

    public required LocalizedText Disclaimer { get; init; }

    /// <summary>Tabular templates: the input columns (empty for assistants).</summary>
    public IReadOnlyList<InputColumn> Inputs { get; init; } = [];

    /// <summary>Tabular templates: what the model predicts (assistants have none).</summary>
    public TemplateOutput Output { get; init; } = TemplateOutput.None;

    /// <summary>Assistant templates: how the assistant works.</summary>
    public AssistantSpec? Assistant { get; init; }

    public bool IsClassification => Kind == TemplateKinds.TabularClassification;
}
