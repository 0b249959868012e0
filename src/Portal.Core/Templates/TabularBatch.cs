using System.Globalization;

namespace Portal.Core.Templates;

/// <summary>
/// Validated rows for one template, column by column, every column a <see cref="float"/> array: numbers as themselves,
/// categories as their position in the column's declared list. Scoring hands number columns to the model without a
/// copy and expands category columns into one-hot vectors, so no text crosses into the model.
/// </summary>
public sealed class TabularBatch
{
    private readonly float[][] _columns;

    public TabularBatch(TemplateManifest manifest, int count)
    {
        Manifest = manifest;
        Count = count;
        _columns = [.. manifest.Inputs.Select(_ => new float[count])];
    }

    public TemplateManifest Manifest { get; }

    public int Count { get; }

    /// <summary>The column's values: numbers, or for a category column the index of each row's category.</summary>
    public float[] Values(int column) => _columns[column];

    /// <summary>Row <paramref name="row"/>'s value of <paramref name="column"/> as text (the declared spelling for categories).</summary>
    public string ValueText(int row, int column)
    {
        var value = _columns[column][row];
        return Manifest.Inputs[column].Categories is { } categories
            ? categories[(int)value]
            : value.ToString("R", CultureInfo.InvariantCulture);
    }

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
            Array.Copy(_columns[c], copy._columns[c], count);
        }

        return copy;
    }

    /// <summary>A copy of <paramref name="row"/> repeated <paramref name="times"/> times (explanations perturb the copies).</summary>
    public TabularBatch Repeat(int row, int times)
    {
        var copy = new TabularBatch(Manifest, times);
        for (var c = 0; c < _columns.Length; c++)
        {
            Array.Fill(copy._columns[c], _columns[c][row]);
        }

        return copy;
    }
}
