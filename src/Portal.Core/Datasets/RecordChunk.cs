using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Portal.Core.Templates;

namespace Portal.Core.Datasets;

/// <summary>
/// Up to <c>capacity</c> valid records of a file, checked against a template's schema cell by cell as the reader hands
/// them out (no strings per cell) and written straight into a reusable <see cref="TabularBatch"/>, with each number
/// also kept exactly as read (the batch holds floats) and the label cell when the file has one. Invalid records are
/// reported and left out.
/// </summary>
public sealed class RecordChunk
{
    private readonly TemplateManifest _manifest;
    private readonly InputColumn[] _inputs;
    private readonly CellRule[] _rules;
    private readonly int[] _columns;
    private readonly int _label;
    private readonly TabularBatch _batch;
    private readonly float[][] _values;
    private readonly double[]?[] _numbers;

    public RecordChunk(TemplateManifest manifest, int[] fileColumnOfInput, int labelColumn, int capacity)
    {
        _manifest = manifest;
        _columns = fileColumnOfInput;
        _label = labelColumn;
        _inputs = [.. manifest.Inputs];
        _rules = [.. manifest.Inputs.Select(i => new CellRule(i))];
        _batch = new TabularBatch(manifest, capacity);
        _values = [.. manifest.Inputs.Select((_, c) => _batch.Values(c))];
        _numbers = [.. manifest.Inputs.Select(i => i.Type == InputType.Category ? null : new double[capacity])];
        Rows = new int[capacity];
        Labels = labelColumn >= 0 ? new TextColumn(capacity) : null;
    }

    /// <summary>A chunk to <see cref="ReadFrom"/> records written by another (it checks none itself).</summary>
    public static RecordChunk ForReading(TemplateManifest manifest, bool labelled, int capacity) =>
        new(manifest, [.. manifest.Inputs.Select(_ => -1)], labelled ? 0 : -1, capacity);

    public int Capacity => _batch.Count;

    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The 1-based file row of each valid record.</summary>
    public int[] Rows { get; }

    /// <summary>Input <paramref name="column"/>'s numbers as read (null for a category column; its positions are in <see cref="Batch"/>).</summary>
    public double[]? Numbers(int column) => _numbers[column];

    /// <summary>Each valid record's label cell, trimmed (null when the file has no label column).</summary>
    public TextColumn? Labels { get; }

    /// <summary>The valid records as a batch (a copy only when the chunk is not full).</summary>
    public TabularBatch Batch => _batch.Prefix(Count);

    /// <summary>Category positions of the valid records (the batch's own array; the first <see cref="Count"/> count).</summary>
    public float[] Positions(int column) => _batch.Values(column);

    public void Clear()
    {
        Count = 0;
        Labels?.Clear();
    }

    /// <summary>Checks the reader's current record; adds it when valid, otherwise reports its errors (when asked) and returns false.</summary>
    public bool TryAdd(ITabularRecordReader reader, Action<CellError>? report)
    {
        if (reader.RecordError is { } recordError)
        {
            report?.Invoke(new CellError(reader.Row, string.Empty, recordError));
            return false;
        }

        var at = Count;
        var ok = true;
        // CSV cells are read directly rather than through the interface: a run checks millions of cells, and reading and
        // validating 100,000 rows measured about 10 % faster this way.
        var csv = reader as DelimitedReader;
        for (var c = 0; c < _columns.Length; c++)
        {
            var column = _columns[c];
            var cell = column < 0 ? default : csv is not null ? csv.Cell(column) : reader.Cell(column);
            var error = _rules[c].TryAccept(cell, out var value) ? null : TabularValidator.CheckCell(_inputs[c], cell, out value);
            if (error is not null)
            {
                ok = false;
                if (report is null)
                {
                    return false;
                }

                report(new CellError(reader.Row, _inputs[c].Name, error));
            }
            else if (ok)
            {
                _values[c][at] = (float)value;
                if (_numbers[c] is { } numbers)
                {
                    numbers[at] = value;
                }
            }
        }

        if (!ok)
        {
            return false;
        }

        Labels?.Add(TabularValidator.Trim(reader.Cell(_label)));
        Rows[at] = reader.Row;
        Count++;
        return true;
    }

    /// <summary>
    /// Appends the valid records for <see cref="ReadFrom"/>: their rows, category positions (two bytes each), numbers as
    /// read (as floats when every one of the column's is exactly a float, else as doubles) and labels, in this machine's
    /// byte order (the bytes are read back by a worker of the same deployment).
    /// </summary>
    public void WriteTo(ArrayBufferWriter<byte> output)
    {
        var count = Count;
        ColumnConversions.Append<int>(output, [count]);
        ColumnConversions.Append<int>(output, Rows.AsSpan(0, count));
        for (var c = 0; c < _rules.Length; c++)
        {
            if (_numbers[c] is { } numbers)
            {
                // A byte that says which, then the numbers as floats when each is exactly one, else as doubles.
                var bytes = output.GetSpan(1 + (count * sizeof(double)));
                var asFloats = ColumnConversions.ToFloats(numbers.AsSpan(0, count), MemoryMarshal.Cast<byte, float>(bytes[1..])[..count]);
                bytes[0] = asFloats ? (byte)sizeof(float) : (byte)sizeof(double);
                if (!asFloats)
                {
                    MemoryMarshal.AsBytes(numbers.AsSpan(0, count)).CopyTo(bytes[1..]);
                }

                output.Advance(1 + (count * bytes[0]));
            }
            else
            {
                ColumnConversions.AppendPositions(output, _values[c].AsSpan(0, count));
            }
        }

        if (Labels is { } labels)
        {
            ColumnConversions.Append<int>(output, [labels.Chars.Length]);
            ColumnConversions.Append(output, labels.Ends);
            ColumnConversions.Append(output, labels.Chars);
        }
    }

    /// <summary>Replaces the chunk's records with those of one <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not one whole chunk that fits this one.</exception>
    public void ReadFrom(ReadOnlySpan<byte> bytes)
    {
        Clear();
        var count = Read<int>(ref bytes, 1)[0];
        if (count <= 0 || count > Capacity)
        {
            throw new InvalidDataException($"A chunk of {count} records does not fit a chunk of {Capacity}.");
        }

        Read<int>(ref bytes, count).CopyTo(Rows);
        for (var c = 0; c < _rules.Length; c++)
        {
            var values = _values[c].AsSpan(0, count);
            if (_numbers[c] is { } numbers)
            {
                var width = Read<byte>(ref bytes, 1)[0];
                if (width == sizeof(float))
                {
                    Read<float>(ref bytes, count).CopyTo(values);
                    ColumnConversions.ToDoubles(values, numbers);
                }
                else if (width == sizeof(double))
                {
                    Read<double>(ref bytes, count).CopyTo(numbers);
                    ColumnConversions.ToFloats(numbers.AsSpan(0, count), values);
                }
                else
                {
                    throw new InvalidDataException($"A number column of width {width}.");
                }
            }
            else
            {
                ColumnConversions.FromPositions(Read<ushort>(ref bytes, count), values);
            }
        }

        if (Labels is { } labels)
        {
            var length = Read<int>(ref bytes, 1)[0];
            labels.Load(Read<int>(ref bytes, count), Read<char>(ref bytes, length));
        }

        if (!bytes.IsEmpty)
        {
            throw new InvalidDataException($"{bytes.Length} bytes too many for a chunk of {count} records.");
        }

        Count = count;
    }

    /// <summary>Leaves out the records of file rows up to <paramref name="row"/> (a run resuming in the middle of a chunk).</summary>
    public void KeepAfter(int row)
    {
        var drop = 0;
        while (drop < Count && Rows[drop] <= row)
        {
            drop++;
        }

        if (drop == 0)
        {
            return;
        }

        var keep = Count - drop;
        Rows.AsSpan(drop, keep).CopyTo(Rows);
        for (var c = 0; c < _values.Length; c++)
        {
            _values[c].AsSpan(drop, keep).CopyTo(_values[c]);
            _numbers[c]?.AsSpan(drop, keep).CopyTo(_numbers[c]);
        }

        Labels?.RemoveFirst(drop);
        Count = keep;
    }

    private static ReadOnlySpan<T> Read<T>(ref ReadOnlySpan<byte> bytes, int count) where T : unmanaged
    {
        var length = (long)count * Unsafe.SizeOf<T>();
        if (count < 0 || length > bytes.Length)
        {
            throw new InvalidDataException("The bytes end inside a chunk.");
        }

        var values = MemoryMarshal.Cast<byte, T>(bytes[..(int)length]);
        bytes = bytes[(int)length..];
        return values;
    }
}

/// <summary>One text cell per row, back to back in one growing character buffer.</summary>
public sealed class TextColumn(int capacity)
{
    private char[] _chars = new char[capacity * 8];
    private readonly int[] _ends = new int[capacity];
    private int _length;

    public int Count { get; private set; }

    /// <summary>All cells' text.</summary>
    public ReadOnlySpan<char> Chars => _chars.AsSpan(0, _length);

    /// <summary>Where each cell ends in <see cref="Chars"/> (exclusive); a cell starts where the one before ends.</summary>
    public ReadOnlySpan<int> Ends => _ends.AsSpan(0, Count);

    public void Add(ReadOnlySpan<char> text)
    {
        if (_length + text.Length > _chars.Length)
        {
            Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _length + text.Length));
        }

        text.CopyTo(_chars.AsSpan(_length));
        _length += text.Length;
        _ends[Count++] = _length;
    }

    public void Clear() => (_length, Count) = (0, 0);

    public void RemoveFirst(int cells)
    {
        var from = cells == 0 ? 0 : _ends[cells - 1];
        _chars.AsSpan(from, _length - from).CopyTo(_chars);
        for (var i = cells; i < Count; i++)
        {
            _ends[i - cells] = _ends[i] - from;
        }

        (_length, Count) = (_length - from, Count - cells);
    }

    /// <summary>Replaces the cells with <paramref name="ends"/> over <paramref name="chars"/> (as <see cref="Ends"/> and <see cref="Chars"/> give them).</summary>
    public void Load(ReadOnlySpan<int> ends, ReadOnlySpan<char> chars)
    {
        if (ends.Length > _ends.Length || (ends.Length > 0 && ends[^1] != chars.Length))
        {
            throw new InvalidDataException($"{ends.Length} cells over {chars.Length} characters do not fit.");
        }

        if (chars.Length > _chars.Length)
        {
            _chars = new char[chars.Length];
        }

        ends.CopyTo(_ends);
        chars.CopyTo(_chars);
        (_length, Count) = (chars.Length, ends.Length);
    }
}
