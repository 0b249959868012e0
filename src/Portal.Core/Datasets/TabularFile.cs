using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Portal.Core.Datasets;

/// <summary>Opens a stored data file of any supported format as an <see cref="ITabularRecordReader"/>.</summary>
public static class TabularFile
{
    public static async Task<ITabularRecordReader> OpenAsync(string path, DatasetFormat format, UploadOptions limits, CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        try
        {
            ITabularRecordReader reader = format switch
            {
                DatasetFormat.Csv => await DelimitedReader.OpenAsync(stream, limits, cancellationToken),
                DatasetFormat.JsonLines => await JsonLinesReader.OpenAsync(stream, limits, cancellationToken),
                DatasetFormat.Xlsx => await XlsxRecordReader.OpenAsync(stream, limits, cancellationToken),
                _ => throw new TabularFileException("The portal does not read {0} files.", format.ToString()),
            };
            return reader;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    internal static void CheckHeader(IReadOnlyList<string> header)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim();
            if (name.Length == 0)
            {
                throw new TabularFileException("Column {0} of the header has no name. The first row must name every column.", i + 1);
            }

            if (!seen.Add(name))
            {
                throw new TabularFileException("The header names the column '{0}' twice.", Shorten(name));
            }
        }
    }

    internal static string Shorten(string text) => Templates.TabularValidator.Shorten(text);

    internal static async Task<(byte[] Sample, bool Complete)> ReadSampleAsync(Stream stream, CancellationToken cancellationToken)
    {
        var sample = new byte[TextFileSniffer.SampleBytes];
        var read = 0;
        while (read < sample.Length)
        {
            var n = await stream.ReadAsync(sample.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        stream.Position = 0;
        return (sample[..read], read < sample.Length);
    }
}

/// <summary>CSV and other delimited text.</summary>
internal sealed class DelimitedReader : ITabularRecordReader
{
    private readonly CsvRecordReader _csv;
    private readonly int _width;
    private string?[]? _current;

    private DelimitedReader(CsvRecordReader csv, IReadOnlyList<string> header, string encoding, char delimiter)
    {
        _csv = csv;
        Header = header;
        _width = header.Count;
        Encoding = encoding;
        Description = $"CSV, {encoding}, {(delimiter == '\t' ? "tab" : "'" + delimiter + "'")}";
    }

    public IReadOnlyList<string> Header { get; }

    public string Description { get; }

    public string? Encoding { get; }

    public int Row { get; private set; }

    /// <summary>Made on first use for each record: the run pipeline reads <see cref="Cell"/> and never needs it.</summary>
    public string?[] Current => _current ??= Materialize();

    public LocalizableText? RecordError { get; private set; }

    public ReadOnlySpan<char> Cell(int column) => column < _csv.Count && column < _width ? _csv[column] : default;

    public static async Task<DelimitedReader> OpenAsync(Stream stream, UploadOptions limits, CancellationToken cancellationToken)
    {
        var (sample, complete) = await TabularFile.ReadSampleAsync(stream, cancellationToken);
        var (encoding, name) = TextFileSniffer.DetectEncoding(sample, complete);
        var text = DecodeLenient(encoding, sample);
        var delimiter = TextFileSniffer.DetectDelimiter(text);
        var csv = new CsvRecordReader(new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true, 64 * 1024), delimiter, quoting: true, limits.MaxRecordChars, limits.MaxColumns);
        try
        {
            // Leading "# key: value" lines (the summary of a portal export) come before the header.
            bool more;
            while ((more = await csv.ReadAsync(cancellationToken)) && csv.Count > 0 && csv[0].StartsWith("# ", StringComparison.Ordinal))
            {
            }

            var header = more ? csv.ToList().Select(c => c.Trim()).ToList() : [];
            if (header.All(c => c.Length == 0))
            {
                throw new TabularFileException("The file is empty.");
            }

            TabularFile.CheckHeader(header);
            return new DelimitedReader(csv, header, name, delimiter);
        }
        catch
        {
            csv.Dispose();
            throw;
        }
    }

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        _current = null;
        var read = _csv.ReadAsync(cancellationToken);
        return read.IsCompletedSuccessfully ? ValueTask.FromResult(Advance(read.Result)) : AwaitAsync(read);

        async ValueTask<bool> AwaitAsync(ValueTask<bool> pending) => Advance(await pending);
    }

    private bool Advance(bool read)
    {
        if (!read)
        {
            return false;
        }

        Row++;
        RecordError = _csv.Count == Header.Count
            ? null
            : new LocalizableText("The row has {0} cells but the header has {1} (line {2})", _csv.Count, Header.Count, _csv.StartLine);
        return true;
    }

    private string?[] Materialize()
    {
        var cells = new string?[Header.Count];
        for (var i = 0; i < Math.Min(_csv.Count, cells.Length); i++)
        {
            cells[i] = _csv.Text(i);
        }

        return cells;
    }

    private static string DecodeLenient(Encoding encoding, byte[] sample)
    {
        var lenient = (Encoding)encoding.Clone();
        lenient.DecoderFallback = DecoderFallback.ReplacementFallback;
        return lenient.GetString(sample);
    }

    public void Dispose() => _csv.Dispose();
}

/// <summary>JSON lines: one object per line; the columns are the keys of the first 1,000 lines in order of appearance.</summary>
internal sealed class JsonLinesReader : ITabularRecordReader
{
    private const int HeaderScanLines = 1_000;
    private readonly CsvRecordReader _lines;
    private readonly Dictionary<string, int> _index;
    private readonly Queue<(int Line, string Text)> _pending;
    private string?[] _current = [];

    private JsonLinesReader(CsvRecordReader lines, List<string> header, Queue<(int, string)> pending, string encoding)
    {
        _lines = lines;
        Header = header;
        _index = header.Select((h, i) => (h, i)).ToDictionary(p => p.h, p => p.i, StringComparer.Ordinal);
        _pending = pending;
        Encoding = encoding;
        Description = $"JSON lines, {encoding}";
    }

    public IReadOnlyList<string> Header { get; }

    public string Description { get; }

    public string? Encoding { get; }

    public int Row { get; private set; }

    public string?[] Current => _current;

    public LocalizableText? RecordError { get; private set; }

    public static async Task<JsonLinesReader> OpenAsync(Stream stream, UploadOptions limits, CancellationToken cancellationToken)
    {
        var (sample, complete) = await TabularFile.ReadSampleAsync(stream, cancellationToken);
        var (encoding, name) = TextFileSniffer.DetectEncoding(sample, complete);
        var lines = new CsvRecordReader(new StreamReader(stream, encoding, true, 64 * 1024), '\0', quoting: false, limits.MaxRecordChars, 1);
        try
        {
            var pending = new Queue<(int, string)>();
            var header = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (pending.Count < HeaderScanLines && await lines.ReadAsync(cancellationToken))
            {
                var text = lines.Text(0);
                pending.Enqueue((lines.StartLine, text));
                if (TryParse(text, 0, out var doc, out _))
                {
                    using (doc)
                    {
                        foreach (var property in doc!.RootElement.EnumerateObject())
                        {
                            if (seen.Add(property.Name))
                            {
                                if (header.Count >= limits.MaxColumns)
                                {
                                    throw new TabularFileException("The file has more than {0:N0} different fields.", limits.MaxColumns);
                                }

                                header.Add(property.Name);
                            }
                        }
                    }
                }
            }

            if (pending.Count == 0)
            {
                throw new TabularFileException("The file is empty.");
            }

            if (header.Count == 0)
            {
                throw new TabularFileException("No line of the file is a JSON object (expected one object per line, e.g. {\"age\": 52}).");
            }

            TabularFile.CheckHeader(header);
            return new JsonLinesReader(lines, header, pending, name);
        }
        catch
        {
            lines.Dispose();
            throw;
        }
    }

    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        int line;
        string text;
        if (_pending.Count > 0)
        {
            (line, text) = _pending.Dequeue();
        }
        else if (await _lines.ReadAsync(cancellationToken))
        {
            (line, text) = (_lines.StartLine, _lines.Text(0));
        }
        else
        {
            return false;
        }

        Row++;
        _current = new string?[Header.Count];
        RecordError = null;
        if (!TryParse(text, line, out var doc, out var error))
        {
            RecordError = error;
            return true;
        }

        using (doc)
        {
            foreach (var property in doc!.RootElement.EnumerateObject())
            {
                if (!_index.TryGetValue(property.Name, out var at))
                {
                    continue;
                }

                var value = property.Value;
                switch (value.ValueKind)
                {
                    case JsonValueKind.String:
                        _current[at] = value.GetString();
                        break;
                    case JsonValueKind.Number:
                        _current[at] = value.GetRawText();
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        _current[at] = value.GetRawText();
                        break;
                    case JsonValueKind.Null:
                        break;
                    default:
                        RecordError = value.ValueKind == JsonValueKind.Array
                            ? new LocalizableText("The row's field '{0}' holds a list, not a value (line {1})", TabularFile.Shorten(property.Name), line)
                            : new LocalizableText("The row's field '{0}' holds an object, not a value (line {1})", TabularFile.Shorten(property.Name), line);
                        break;
                }
            }
        }

        return true;
    }

    private static bool TryParse(string text, int line, out JsonDocument? document, out LocalizableText? error)
    {
        document = null;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                error = null;
                return true;
            }

            document.Dispose();
            document = null;
            error = new LocalizableText("The row is not a JSON object (line {0})", line);
            return false;
        }
        catch (JsonException)
        {
            error = new LocalizableText("The row is not valid JSON (line {0})", line);
            return false;
        }
    }

    public void Dispose() => _lines.Dispose();
}
