namespace Portal.Core.Templates;

/// <summary>
/// Validated rows for one template, column by column (numbers as <see cref="float"/>, categories as strings), so that
/// scoring can hand each column to the model as one tensor without another copy.
/// </summary>
public sealed class TabularBatch
{
    private readonly object[] _columns;

    public TabularBatch(TemplateManifest manifest, int count)
    {
        Manifest = manifest;
        Count = count;
        _columns = [.. manifest.Inputs.Select(i => i.Type == InputType.Category ? (object)new string[count] : new float[count])];
    }

    public TemplateManifest Manifest { get; }

    public int Count { get; }

    public float[] Numbers(int column) => (float[])_columns[column];

    public string[] Categories(int column) => (string[])_columns[column];

    /// <summary>The column's array: <see cref="float"/>[] or <see cref="string"/>[].</summary>
    public object Column(int column) => _columns[column];

    /// <summary>Row <paramref name="row"/> as text, in input order (for explanations and exports).</summary>
    public string ValueText(int row, int column) => _columns[column] switch
    {
        float[] f => f[row].ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        string[] s => s[row],
        _ => string.Empty,
    };

    /// <summary>The first <paramref name="count"/> rows as a new batch (arrays copied).</summary>
    public TabularBatch Prefix(int count)
    {
        if (count == Count)
        {
            return this;
        }

        var copy = new TabularBatch(Manifest, count);
        for (var c = 0; c < _columns.Length; c++)
        {
            Array.Copy((Array)_columns[c], (Array)copy._columns[c], count);
        }

        return copy;
    }

    /// <summary>A copy of <paramref name="row"/> repeated <paramref name="times"/> times (explanations perturb the copies).</summary>
    public TabularBatch Repeat(int row, int times)
    {
        var copy = new TabularBatch(Manifest, times);
        for (var c = 0; c < _columns.Length; c++)
        {
            switch (_columns[c])
            {
                case float[] f:
                    Array.Fill(copy.Numbers(c), f[row]);
                    break;
                case string[] s:
                    Array.Fill(copy.Categories(c), s[row]);
                    break;
            }
        }

        return copy;
    }
}
