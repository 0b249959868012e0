using System.Globalization;
using System.IO.Compression;
using System.Xml;

namespace Portal.Core.Datasets;

/// <summary>
/// Writes a minimal Office Open XML workbook (one or more sheets of text and numbers) as a stream, row by row, so a
/// million-row export needs no more memory than one row. Text goes into inline-string cells, which spreadsheets never
/// evaluate; <see cref="SpreadsheetText.Neutralise"/> is applied as well so that a copy-paste stays harmless.
/// </summary>
public sealed class XlsxWriter : IAsyncDisposable
{
    private const string MainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private static readonly XmlWriterSettings Settings = new() { Async = true, Encoding = new System.Text.UTF8Encoding(false) };
    private readonly ZipArchive _zip;
    private readonly List<string> _sheets = [];
    private Stream? _entry;
    private XmlWriter? _xml;

    private XlsxWriter(ZipArchive zip) => _zip = zip;

    public static async Task<XlsxWriter> CreateAsync(Stream output, CancellationToken cancellationToken) =>
        new(await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken));

    public async Task BeginSheetAsync(string name, CancellationToken cancellationToken)
    {
        await EndSheetAsync(cancellationToken);
        _sheets.Add(name);
        _entry = await _zip.CreateEntry($"xl/worksheets/sheet{_sheets.Count}.xml", CompressionLevel.Fastest).OpenAsync(cancellationToken);
        _xml = XmlWriter.Create(_entry, Settings);
        await _xml.WriteStartDocumentAsync(true);
        await _xml.WriteStartElementAsync(null, "worksheet", MainNs);
        await _xml.WriteStartElementAsync(null, "sheetData", MainNs);
    }

    /// <summary>One row: strings become text cells, doubles number cells, null an empty cell.</summary>
    public async Task WriteRowAsync(IEnumerable<object?> cells)
    {
        var xml = _xml ?? throw new InvalidOperationException("Begin a sheet first.");
        await xml.WriteStartElementAsync(null, "row", MainNs);
        foreach (var cell in cells)
        {
            await xml.WriteStartElementAsync(null, "c", MainNs);
            switch (cell)
            {
                case null:
                    break;
                case double d when double.IsFinite(d):
                    await xml.WriteElementStringAsync(null, "v", MainNs, d.ToString("R", CultureInfo.InvariantCulture));
                    break;
                case int i:
                    await xml.WriteElementStringAsync(null, "v", MainNs, i.ToString(CultureInfo.InvariantCulture));
                    break;
                default:
                    await xml.WriteAttributeStringAsync(null, "t", null, "inlineStr");
                    await xml.WriteStartElementAsync(null, "is", MainNs);
                    await xml.WriteStartElementAsync(null, "t", MainNs);
                    await xml.WriteAttributeStringAsync("xml", "space", null, "preserve");
                    await xml.WriteStringAsync(XmlSafe(SpreadsheetText.Neutralise(Convert.ToString(cell, CultureInfo.InvariantCulture) ?? string.Empty)));
                    await xml.WriteEndElementAsync();
                    await xml.WriteEndElementAsync();
                    break;
            }

            await xml.WriteEndElementAsync();
        }

        await xml.WriteEndElementAsync();
    }

    private async Task EndSheetAsync(CancellationToken cancellationToken)
    {
        if (_xml is null)
        {
            return;
        }

        await _xml.WriteEndElementAsync();
        await _xml.WriteEndElementAsync();
        await _xml.WriteEndDocumentAsync();
        await _xml.FlushAsync();
        await _xml.DisposeAsync();
        await _entry!.DisposeAsync();
        (_xml, _entry) = (null, null);
        cancellationToken.ThrowIfCancellationRequested();
    }

    public async ValueTask DisposeAsync()
    {
        await EndSheetAsync(CancellationToken.None);
        await WriteTextAsync("[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + string.Concat(_sheets.Select((_, i) => $"<Override PartName=\"/xl/worksheets/sheet{i + 1}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"))
            + "</Types>");
        await WriteTextAsync("_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>");
        await WriteTextAsync("xl/workbook.xml",
            $"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><workbook xmlns=\"{MainNs}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
            + string.Concat(_sheets.Select((name, i) => $"<sheet name=\"{System.Security.SecurityElement.Escape(name)}\" sheetId=\"{i + 1}\" r:id=\"rId{i + 1}\"/>"))
            + "</sheets></workbook>");
        await WriteTextAsync("xl/_rels/workbook.xml.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + string.Concat(_sheets.Select((_, i) => $"<Relationship Id=\"rId{i + 1}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{i + 1}.xml\"/>"))
            + "</Relationships>");
        await _zip.DisposeAsync();
    }

    private async Task WriteTextAsync(string name, string text)
    {
        await using var stream = await _zip.CreateEntry(name, CompressionLevel.Fastest).OpenAsync();
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Characters XML 1.0 cannot carry are dropped.</summary>
    private static string XmlSafe(string text) =>
        text.Any(c => !XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c)) ? new string([.. text.Where(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c))]) : text;
}

/// <summary>Spreadsheet formula injection: text that a spreadsheet would take for a formula gets a leading apostrophe.</summary>
public static class SpreadsheetText
{
    public static string Neutralise(string text) =>
        text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r'
            && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? "'" + text
            : text;
}
