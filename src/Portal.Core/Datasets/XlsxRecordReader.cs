using System.Globalization;
using System.IO.Compression;
using System.Xml;

namespace Portal.Core.Datasets;

/// <summary>
/// The first worksheet of an Office Open XML workbook, read with <see cref="XmlReader"/> straight from the zip entries
/// (no DOM, DTDs prohibited). Zip-bomb guard: the entries' declared sizes and every byte actually inflated count
/// against <see cref="UploadOptions.MaxExpandedBytes"/>. Formula cells give their cached value; nothing is evaluated.
/// </summary>
internal sealed class XlsxRecordReader : ITabularRecordReader
{
    private const string MainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string RelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string PackageRelNs = "http://schemas.openxmlformats.org/package/2006/relationships";

    private static readonly XmlReaderSettings Settings = new()
    {
        Async = true,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreWhitespace = false,
        IgnoreComments = true,
    };

    private readonly ZipArchive _zip;
    private readonly XmlReader _sheet;
    private readonly List<string> _sharedStrings;
    private readonly int _maxColumns;
    private string?[] _current = [];

    private XlsxRecordReader(ZipArchive zip, XmlReader sheet, List<string> sharedStrings, int maxColumns)
    {
        _zip = zip;
        _sheet = sheet;
        _sharedStrings = sharedStrings;
        _maxColumns = maxColumns;
    }

    public IReadOnlyList<string> Header { get; private set; } = [];

    public string Description => "Excel workbook, first sheet";

    public string? Encoding => null;

    public int Row { get; private set; }

    public string?[] Current => _current;

    public LocalizableText? RecordError { get; private set; }

    public static async Task<XlsxRecordReader> OpenAsync(Stream stream, UploadOptions limits, CancellationToken cancellationToken)
    {
        ZipArchive zip;
        try
        {
            zip = await ZipArchive.CreateAsync(stream, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, cancellationToken);
        }
        catch (InvalidDataException)
        {
            throw new TabularFileException("This is not an Excel workbook (.xlsx): it is not a valid zip package.");
        }

        try
        {
            var budget = new ExpansionBudget(limits.MaxExpandedBytes);
            long declared = 0;
            foreach (var entry in zip.Entries)
            {
                declared += entry.Length;
                if (declared > limits.MaxExpandedBytes || entry.Length > 1024 * 1024 && entry.Length / Math.Max(1, entry.CompressedLength) > 1000)
                {
                    throw ExpansionBudget.Refusal(limits.MaxExpandedBytes);
                }
            }

            var sheetPath = await FirstSheetPathAsync(zip, budget, cancellationToken)
                ?? throw new TabularFileException("The workbook has no worksheet.");
            var shared = await SharedStringsAsync(zip, budget, cancellationToken);
            var sheetEntry = zip.GetEntry(sheetPath) ?? throw new TabularFileException("The workbook's first worksheet is missing from the file.");
            var sheet = XmlReader.Create(budget.Open(sheetEntry), Settings);
            var reader = new XlsxRecordReader(zip, sheet, shared, limits.MaxColumns);
            if (!await reader.ReadRowAsync(cancellationToken) || reader._current.All(string.IsNullOrWhiteSpace))
            {
                reader.Dispose();
                throw new TabularFileException("The file is empty.");
            }

            var header = reader._current.Select(c => c?.Trim() ?? string.Empty).ToList();
            while (header.Count > 0 && header[^1].Length == 0)
            {
                header.RemoveAt(header.Count - 1);
            }

            try
            {
                TabularFile.CheckHeader(header);
            }
            catch
            {
                reader.Dispose();
                throw;
            }

            reader.Header = header;
            return reader;
        }
        catch (Exception e) when (e is InvalidDataException or XmlException)
        {
            zip.Dispose();
            throw new TabularFileException("The workbook is damaged and cannot be read ({0}).", e.GetType().Name);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await ReadRowAsync(cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or XmlException)
            {
                throw new TabularFileException("The workbook is damaged after data row {0} and cannot be read further.", Row);
            }

            if (!more)
            {
                return false;
            }

            if (_current.All(string.IsNullOrEmpty))
            {
                continue; // an empty (formatted) row
            }

            Row++;
            RecordError = null;
            if (_current.Length > Header.Count)
            {
                var beyond = Array.FindLastIndex(_current, c => !string.IsNullOrEmpty(c));
                if (beyond >= Header.Count)
                {
                    RecordError = new LocalizableText("The row has a value in column {0}, beyond the header's {1} columns", ColumnName(beyond), Header.Count);
                }
            }

            if (_current.Length != Header.Count)
            {
                Array.Resize(ref _current, Header.Count);
            }

            return true;
        }
    }

    /// <summary>Reads the next <c>&lt;row&gt;</c> into <see cref="_current"/> (cells by their column letters).</summary>
    private async Task<bool> ReadRowAsync(CancellationToken cancellationToken)
    {
        while (await _sheet.ReadAsync())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_sheet.NodeType != XmlNodeType.Element || _sheet.LocalName != "row" || _sheet.NamespaceURI != MainNs)
            {
                continue;
            }

            var cells = new List<string?>(Header.Count);
            if (_sheet.IsEmptyElement)
            {
                _current = [];
                return true;
            }

            var depth = _sheet.Depth;
            while (await _sheet.ReadAsync() && !(_sheet.NodeType == XmlNodeType.EndElement && _sheet.Depth == depth))
            {
                if (_sheet.NodeType != XmlNodeType.Element || _sheet.LocalName != "c")
                {
                    continue;
                }

                var column = _sheet.GetAttribute("r") is { } r ? ColumnIndex(r) : cells.Count;
                if (column >= _maxColumns)
                {
                    throw new TabularFileException("The worksheet has more than {0:N0} columns.", _maxColumns);
                }

                var type = _sheet.GetAttribute("t");
                var value = await CellValueAsync(type);
                while (cells.Count <= column)
                {
                    cells.Add(null);
                }

                cells[column] = value;
            }

            _current = [.. cells];
            return true;
        }

        return false;
    }

    private async Task<string?> CellValueAsync(string? type)
    {
        if (_sheet.IsEmptyElement)
        {
            return null;
        }

        var depth = _sheet.Depth;
        string? raw = null;
        string? inline = null;
        while (await _sheet.ReadAsync() && !(_sheet.NodeType == XmlNodeType.EndElement && _sheet.Depth == depth))
        {
            if (_sheet.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (_sheet.LocalName == "v")
            {
                raw = await _sheet.ReadElementContentAsStringAsync();
                if (_sheet.NodeType == XmlNodeType.EndElement && _sheet.Depth == depth)
                {
                    break;
                }
            }
            else if (_sheet.LocalName == "t")
            {
                inline = (inline ?? string.Empty) + await _sheet.ReadElementContentAsStringAsync();
                if (_sheet.NodeType == XmlNodeType.EndElement && _sheet.Depth == depth)
                {
                    break;
                }
            }
        }

        return type switch
        {
            "s" => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < _sharedStrings.Count
                ? _sharedStrings[i]
                : throw new TabularFileException("The workbook refers to a shared text that does not exist."),
            "inlineStr" => inline,
            "b" => raw == "1" ? "TRUE" : "FALSE",
            _ => raw,
        };
    }

    private static async Task<string?> FirstSheetPathAsync(ZipArchive zip, ExpansionBudget budget, CancellationToken cancellationToken)
    {
        string? relId = null;
        if (zip.GetEntry("xl/workbook.xml") is { } workbook)
        {
            using var xml = XmlReader.Create(budget.Open(workbook), Settings);
            while (await xml.ReadAsync())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "sheet")
                {
                    relId = xml.GetAttribute("id", RelNs);
                    break;
                }
            }
        }

        if (relId is not null && zip.GetEntry("xl/_rels/workbook.xml.rels") is { } rels)
        {
            using var xml = XmlReader.Create(budget.Open(rels), Settings);
            while (await xml.ReadAsync())
            {
                if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "Relationship" && xml.NamespaceURI == PackageRelNs && xml.GetAttribute("Id") == relId)
                {
                    var target = xml.GetAttribute("Target") ?? string.Empty;
                    return target.StartsWith('/') ? target.TrimStart('/') : "xl/" + target;
                }
            }
        }

        return zip.GetEntry("xl/worksheets/sheet1.xml") is not null ? "xl/worksheets/sheet1.xml" : null;
    }

    private static async Task<List<string>> SharedStringsAsync(ZipArchive zip, ExpansionBudget budget, CancellationToken cancellationToken)
    {
        var strings = new List<string>();
        if (zip.GetEntry("xl/sharedStrings.xml") is not { } entry)
        {
            return strings;
        }

        using var xml = XmlReader.Create(budget.Open(entry), Settings);
        var current = new System.Text.StringBuilder();
        var inItem = false;
        var phoneticDepth = -1;
        while (await xml.ReadAsync())
        {
            if (xml.NodeType == XmlNodeType.Element)
            {
                switch (xml.LocalName)
                {
                    case "si":
                        inItem = true;
                        current.Clear();
                        break;
                    case "rPh" when !xml.IsEmptyElement:
                        phoneticDepth = xml.Depth;
                        break;
                    case "t" when inItem && phoneticDepth < 0:
                        current.Append(await xml.ReadElementContentAsStringAsync());
                        if (xml.NodeType == XmlNodeType.EndElement && xml.LocalName == "si")
                        {
                            strings.Add(current.ToString());
                            inItem = false;
                        }

                        break;
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
            else if (xml.NodeType == XmlNodeType.EndElement)
            {
                if (xml.LocalName == "rPh" && xml.Depth == phoneticDepth)
                {
                    phoneticDepth = -1;
                }
                else if (xml.LocalName == "si" && inItem)
                {
                    strings.Add(current.ToString());
                    inItem = false;
                }
            }
        }

        return strings;
    }

    /// <summary><c>BC12</c> → 54 (0-based).</summary>
    internal static int ColumnIndex(string reference)
    {
        var index = 0;
        foreach (var c in reference)
        {
            if (c is >= 'A' and <= 'Z')
            {
                index = index * 26 + (c - 'A' + 1);
                if (index > 1_000_000)
                {
                    break;
                }
            }
            else
            {
                break;
            }
        }

        return index - 1;
    }

    internal static string ColumnName(int index)
    {
        var name = string.Empty;
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
        {
            name = (char)('A' + (n - 1) % 26) + name;
        }

        return name;
    }

    public void Dispose()
    {
        _sheet.Dispose();
        _zip.Dispose();
    }

    /// <summary>Counts every inflated byte of every entry against one limit.</summary>
    private sealed class ExpansionBudget(long limit)
    {
        private long _used;

        public static TabularFileException Refusal(long limit) => new(string.Create(CultureInfo.InvariantCulture,
            $"The workbook would expand to more than {limit / (1024 * 1024):N0} MB when unzipped; it was refused as a possible zip bomb."));

        public Stream Open(ZipArchiveEntry entry) => new CountingStream(entry.Open(), this);

        public void Add(int count)
        {
            _used += count;
            if (_used > limit)
            {
                throw Refusal(limit);
            }
        }
    }

    private sealed class CountingStream(Stream inner, ExpansionBudget budget) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            budget.Add(n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            budget.Add(n);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
