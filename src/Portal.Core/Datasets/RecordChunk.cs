using Portal.Core.Templates;

namespace Portal.Core.Datasets;

/// <summary>
/// Up to <c>capacity</c> valid records of a file, checked against a template's schema and written straight into a
/// reusable <see cref="TabularBatch"/> (no per-row dictionaries). Invalid records are reported and left out.
/// </summary>
public sealed class RecordChunk
{
    private readonly TemplateManifest _manifest;
    private readonly int[] _columns;
    private readonly int _label;
    private readonly TabularBatch _batch;

    public RecordChunk(TemplateManifest manifest, int[] fileColumnOfInput, int labelColumn, int capacity)
    {
        _manifest = manifest;
        _columns = fileColumnOfInput;
        _label = labelColumn;
        _batch = new TabularBatch(manifest, capacity);
        Rows = new int[capacity];
        Actuals = new string?[capacity];
        Records = new string?[capacity][];
    }

    public int Capacity => _batch.Count;

    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The 1-based file row of each valid record.</summary>
    public int[] Rows { get; }

    /// <summary>The file's cells of each valid record (as read; the reader gives every record its own array).</summary>
    public string?[][] Records { get; }

    /// <summary>Record <paramref name="i"/>'s cells for the template's inputs, in input order, as the file wrote them (trimmed).</summary>
    public string[] InputText(int i)
    {
        var cells = Records[i];
        var text = new string[_columns.Length];
        for (var c = 0; c < text.Length; c++)
        {
            text[c] = cells[_columns[c]]?.Trim() ?? string.Empty;
        }

        return text;
    }

    /// <summary>The label column's cell of each valid record (null when the file has no label column).</summary>
    public string?[] Actuals { get; }

    /// <summary>The valid records as a batch (a copy only when the chunk is not full).</summary>
    public TabularBatch Batch => _batch.Prefix(Count);

    public void Clear() => Count = 0;

    /// <summary>Checks one record; adds it when valid, otherwise reports its errors (when asked) and returns false.</summary>
    public bool TryAdd(int row, string?[] cells, string? recordError, Action<CellError>? report)
    {
        if (recordError is not null)
        {
            report?.Invoke(new CellError(row, string.Empty, "The row " + recordError));
            return false;
        }

        var at = Count;
        var ok = true;
        for (var c = 0; c < _columns.Length; c++)
        {
            var input = _manifest.Inputs[c];
            var text = _columns[c] >= 0 ? cells[_columns[c]] : null;
            var (value, error) = TabularValidator.CheckText(input, text);
            if (error is not null)
            {
                ok = false;
                if (report is null)
                {
                    return false;
                }

                report(new CellError(row, input.Name, error));
            }
            else if (ok)
            {
                _batch.Values(c)[at] = value;
            }
        }

        if (!ok)
        {
            return false;
        }

        Rows[at] = row;
        Records[at] = cells;
        Actuals[at] = _label >= 0 ? cells[_label]?.Trim() : null;
        Count++;
        return true;
    }
}
