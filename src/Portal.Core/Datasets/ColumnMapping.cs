using Portal.Core.Templates;

namespace Portal.Core.Datasets;

/// <summary>
/// Which file column feeds each template input (and the label column, when the file has it). Names match when they
/// are equal ignoring case and whitespace; the user's manual choices override.
/// </summary>
public sealed record ColumnMapping(IReadOnlyDictionary<string, string> Inputs, IReadOnlyList<string> Missing, string? LabelColumn)
{
    public bool IsComplete => Missing.Count == 0;

    public static ColumnMapping Match(TemplateManifest manifest, IReadOnlyList<string> header, IReadOnlyDictionary<string, string>? manual = null)
    {
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var column in header)
        {
            byKey.TryAdd(Key(column), column);
        }

        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var input in manifest.Inputs)
        {
            if (manual is not null && manual.TryGetValue(input.Name, out var chosen) && header.Contains(chosen, StringComparer.Ordinal))
            {
                inputs[input.Name] = chosen;
            }
            else if (byKey.TryGetValue(Key(input.Name), out var found))
            {
                inputs[input.Name] = found;
            }
            else
            {
                missing.Add(input.Name);
            }
        }

        byKey.TryGetValue(Key(manifest.Output.LabelColumn), out var label);
        return new ColumnMapping(inputs, missing, label);
    }

    /// <summary>For each template input, the index of its file column (-1 when missing).</summary>
    public int[] Indices(TemplateManifest manifest, IReadOnlyList<string> header) =>
        [.. manifest.Inputs.Select(i => Inputs.TryGetValue(i.Name, out var column) ? IndexOf(header, column) : -1)];

    public int LabelIndex(IReadOnlyList<string> header) => LabelColumn is null ? -1 : IndexOf(header, LabelColumn);

    private static int IndexOf(IReadOnlyList<string> header, string column)
    {
        for (var i = 0; i < header.Count; i++)
        {
            if (string.Equals(header[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>"Clump Thickness " and "clump_thickness" are different; "Clump Thickness" and "clumpthickness" are not.</summary>
    internal static string Key(string name) => string.Concat(name.Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant();
}
