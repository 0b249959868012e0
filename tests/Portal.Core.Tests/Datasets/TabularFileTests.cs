using System.IO.Compression;
using System.Text;
using Portal.Core.Datasets;

namespace Portal.Core.Tests.Datasets;

/// <summary>Reading CSV, JSON lines and .xlsx, and refusing hostile or broken files with a clear message.</summary>
public sealed class TabularFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-files-").FullName;
    private readonly UploadOptions _limits = new();

    [Fact]
    public async Task Csv_with_semicolons_quotes_and_line_breaks_in_cells()
    {
        var rows = await ReadAllAsync("a.csv", "name;note;age\r\n\"Smith; J\";\"said \"\"hi\"\"\nthen left\";42\r\nLee;;7\r\n\r\n");
        AssertCells(["name", "note", "age"], rows.Header);
        Assert.Equal(2, rows.Records.Count);
        AssertCells(["Smith; J", "said \"hi\"\nthen left", "42"], rows.Records[0]);
        AssertCells(["Lee", "", "7"], rows.Records[1]);
        Assert.Contains("';'", rows.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tab_delimited_with_utf8_bom()
    {
        var rows = await ReadAllAsync("a.tsv", [.. new byte[] { 0xEF, 0xBB, 0xBF }, .. Encoding.UTF8.GetBytes("x\ty\n1\t2\n")]);
        AssertCells(["x", "y"], rows.Header);
        AssertCells(["1", "2"], rows.Records[0]);
        Assert.Equal("utf-8", rows.Encoding);
    }

    [Fact]
    public async Task Chinese_excel_csv_in_gb18030_is_decoded()
    {
        var gb = CodePagesEncodingProvider.Instance.GetEncoding(54936)!;
        var rows = await ReadAllAsync("a.csv", gb.GetBytes("姓名,城市\n张三,北京\n李四,上海\n"));
        Assert.Equal("gb18030", rows.Encoding);
        AssertCells(["姓名", "城市"], rows.Header);
        AssertCells(["李四", "上海"], rows.Records[1]);
    }

    [Fact]
    public async Task Invalid_utf8_at_the_start_is_read_as_windows_1252()
    {
        var rows = await ReadAllAsync("a.csv", [.. Encoding.ASCII.GetBytes("name,city\nJos"), 0xE9, .. Encoding.ASCII.GetBytes(",Z"), 0xFC, .. Encoding.ASCII.GetBytes("rich\n")]);
        Assert.Equal("windows-1252", rows.Encoding);
        AssertCells(["José", "Zürich"], rows.Records[0]);
    }

    [Fact]
    public async Task Invalid_utf8_after_the_sampled_start_is_refused_with_its_line()
    {
        var text = new StringBuilder("a,b\n");
        for (var i = 0; i < 20_000; i++)
        {
            text.Append("1,2\n");
        }

        byte[] bytes = [.. Encoding.UTF8.GetBytes(text.ToString()), 0xFF, 0xFE, 0x31, 0x0A];
        var error = await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync("a.csv", bytes));
        // Decoding works in 64 KB blocks, so the line named is where the failing block starts: at most one block early.
        var line = int.Parse(System.Text.RegularExpressions.Regex.Match(error.Message, "not valid in its encoding near line (\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(line, 20_002 - (64 * 1024 / 4), 20_002);
    }

    [Theory]
    [InlineData("", "The file is empty.")]
    [InlineData("\n\n  \n", "The file is empty.")]
    [InlineData("a,,c\n1,2,3\n", "Column 2 of the header has no name.")]
    [InlineData("a,b,A\n1,2,3\n", "names the column 'A' twice")]
    [InlineData("a,b\n1,\"open quote\n2,3\n", "A quote opened on line 2 is never closed")]
    public async Task Broken_text_files_are_refused_with_a_clear_message(string content, string message)
    {
        var error = await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync("a.csv", content));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Header_only_reads_no_records()
    {
        var rows = await ReadAllAsync("a.csv", "a,b,c\n");
        Assert.Empty(rows.Records);
    }

    [Fact]
    public async Task Ragged_rows_are_reported_per_row_and_the_rest_still_reads()
    {
        await using var file = await OpenAsync("a.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n");
        var errors = new List<string?>();
        while (await file.Reader.ReadAsync())
        {
            errors.Add(file.Reader.RecordError?.ToString());
        }

        Assert.Equal(4, errors.Count);
        Assert.Null(errors[0]);
        Assert.Equal("The row has 2 cells but the header has 3 (line 3)", errors[1]);
        Assert.Equal("The row has 4 cells but the header has 3 (line 4)", errors[2]);
        Assert.Null(errors[3]);
    }

    [Fact]
    public async Task Binary_files_renamed_csv_are_refused()
    {
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52 };
        Assert.Contains("binary file", (await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync("image.csv", png))).Message, StringComparison.Ordinal);
        Assert.Contains("PDF", (await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync("doc.csv", "%PDF-1.7\n%âãÏÓ\n"))).Message, StringComparison.Ordinal);
        var xlsx = await File.ReadAllBytesAsync(await WriteXlsxAsync("real.xlsx", [["a"], ["1"]]));
        Assert.Contains(".xlsx extension", (await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync("book.csv", xlsx))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ten_thousand_columns_are_refused()
    {
        var header = string.Join(',', Enumerable.Range(0, 10_000).Select(i => "c" + i));
        var error = await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync("wide.csv", header + "\n" + header + "\n"));
        Assert.Equal("Line 1 has more than 1,000 columns.", error.Message);
    }

    [Fact]
    public async Task A_single_100_MB_line_is_refused_after_the_record_limit_without_reading_it_into_memory()
    {
        var path = Path.Combine(_folder, "long.csv");
        await using (var stream = File.Create(path))
        {
            await stream.WriteAsync("a,b\n"u8.ToArray());
            var block = Encoding.ASCII.GetBytes(new string('x', 1024 * 1024));
            for (var i = 0; i < 100; i++)
            {
                await stream.WriteAsync(block);
            }
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync(path));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal("The record starting on line 2 is longer than 1,048,576 characters. Is the file really a table?", error.Message);
        Assert.True(allocated < 32L * 1024 * 1024, $"{allocated:N0} bytes were allocated");
    }

    [Fact]
    public async Task Formula_cells_are_read_as_plain_text_never_evaluated()
    {
        var rows = await ReadAllAsync("a.csv", "name,amount\n\"=cmd|' /C calc'!A0\",=1+1\n");
        AssertCells(["=cmd|' /C calc'!A0", "=1+1"], rows.Records[0]);
    }

    [Fact]
    public async Task Json_lines_read_objects_with_the_union_of_keys_and_report_bad_lines()
    {
        await using var file = await OpenAsync("a.jsonl", "{\"age\": 52, \"sex\": \"F\"}\n[1,2]\n{\"age\": 60, \"smoker\": true}\nnot json\n{\"age\": {\"nested\": 1}}\n");
        AssertCells(["age", "sex", "smoker"], file.Reader.Header);
        var records = new List<(string?[] Cells, string? Error)>();
        while (await file.Reader.ReadAsync())
        {
            records.Add(((string?[])file.Reader.Current.Clone(), file.Reader.RecordError?.ToString()));
        }

        Assert.Equal(5, records.Count);
        AssertCells(["52", "F", null], records[0].Cells);
        Assert.Equal("The row is not a JSON object (line 2)", records[1].Error);
        AssertCells(["60", null, "true"], records[2].Cells);
        Assert.Equal("The row is not valid JSON (line 4)", records[3].Error);
        Assert.Equal("The row's field 'age' holds an object, not a value (line 5)", records[4].Error);
    }

    [Fact]
    public async Task Xlsx_reads_shared_inline_number_and_formula_cells_from_the_first_sheet()
    {
        var path = Path.Combine(_folder, "book.xlsx");
        await WriteRawXlsxAsync(path, """
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>city</t></is></c></row>
            <row r="2"><c r="A2"><v>42.5</v></c><c r="C2" t="inlineStr"><is><t>Oslo</t></is></c></row>
            <row r="4"><c r="A4"><f>SUM(A2:A3)</f><v>84</v></c><c r="B4" t="b"><v>1</v></c><c r="C4" t="str"><f>"=cmd"</f><v>=cmd</v></c></row>
            </sheetData></worksheet>
            """, ["age", "smoker"]);
        await using var file = await OpenFileAsync(path, DatasetFormat.Xlsx);
        AssertCells(["age", "smoker", "city"], file.Reader.Header);
        Assert.True(await file.Reader.ReadAsync());
        AssertCells(["42.5", null, "Oslo"], file.Reader.Current);
        Assert.True(await file.Reader.ReadAsync());
        AssertCells(["84", "TRUE", "=cmd"], file.Reader.Current);
        Assert.False(await file.Reader.ReadAsync());
    }

    [Fact]
    public async Task Xlsx_written_by_the_portal_reads_back()
    {
        var path = await WriteXlsxAsync("round.xlsx", [["name", "value"], ["a", "1.5"], ["=HYPERLINK(\"x\")", "2"]]);
        var rows = await ReadAllAsync(path);
        AssertCells(["name", "value"], rows.Header);
        AssertCells(["a", "1.5"], rows.Records[0]);
        AssertCells(["'=HYPERLINK(\"x\")", "2"], rows.Records[1]);
    }

    [Fact]
    public async Task A_zip_bomb_named_xlsx_is_refused_before_it_expands()
    {
        var path = Path.Combine(_folder, "bomb.xlsx");
        await using (var stream = File.Create(path))
        await using (var zip = new ZipArchive(stream, ZipArchiveMode.Create))
        {
            await using var entry = await zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.SmallestSize).OpenAsync();
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 600; i++)
            {
                await entry.WriteAsync(zeros); // 600 MB of zeros, about 0.6 MB compressed
            }
        }

        Assert.True(new FileInfo(path).Length < 2 * 1024 * 1024);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync(path));
        Assert.Contains("possible zip bomb", error.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16L * 1024 * 1024);
    }

    [Fact]
    public async Task A_text_file_named_xlsx_is_refused()
    {
        var error = await Assert.ThrowsAsync<TabularFileException>(() => ReadAllAsync("fake.xlsx", "a,b\n1,2\n"));
        Assert.Equal("This is not an Excel workbook (.xlsx): it is not a valid zip package.", error.Message);
    }

    private static void AssertCells(string?[] expected, IEnumerable<string?> actual) => Assert.Equal<string?>(expected.AsEnumerable(), actual);

    private sealed record Rows(IReadOnlyList<string> Header, List<string?[]> Records, string Description, string? Encoding);

    private sealed class OpenFile(ITabularRecordReader reader) : IAsyncDisposable
    {
        public ITabularRecordReader Reader { get; } = reader;

        public ValueTask DisposeAsync()
        {
            Reader.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private Task<Rows> ReadAllAsync(string name, string content) => ReadAllAsync(name, Encoding.UTF8.GetBytes(content));

    private async Task<Rows> ReadAllAsync(string name, byte[] content)
    {
        var path = Path.Combine(_folder, name);
        await File.WriteAllBytesAsync(path, content);
        return await ReadAllAsync(path);
    }

    private async Task<Rows> ReadAllAsync(string path)
    {
        await using var file = await OpenFileAsync(path, DatasetFormats.FromFileName(path)!.Value);
        var records = new List<string?[]>();
        while (await file.Reader.ReadAsync())
        {
            records.Add(file.Reader.Current);
        }

        return new Rows(file.Reader.Header, records, file.Reader.Description, file.Reader.Encoding);
    }

    private async Task<OpenFile> OpenAsync(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        await File.WriteAllTextAsync(path, content);
        return await OpenFileAsync(path, DatasetFormats.FromFileName(path)!.Value);
    }

    private async Task<OpenFile> OpenFileAsync(string path, DatasetFormat format) => new(await TabularFile.OpenAsync(path, format, _limits));

    private async Task<string> WriteXlsxAsync(string name, string[][] rows)
    {
        var path = Path.Combine(_folder, name);
        await using var stream = File.Create(path);
        await using (var xlsx = await XlsxWriter.CreateAsync(stream, CancellationToken.None))
        {
            await xlsx.BeginSheetAsync("Sheet1", CancellationToken.None);
            foreach (var row in rows)
            {
                await xlsx.WriteRowAsync(row.Select(c => double.TryParse(c, System.Globalization.CultureInfo.InvariantCulture, out var d) ? (object)d : c));
            }
        }

        return path;
    }

    private static async Task WriteRawXlsxAsync(string path, string sheet, string[] shared)
    {
        await using var stream = File.Create(path);
        await using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
        async Task Entry(string name, string text)
        {
            await using var s = await zip.CreateEntry(name).OpenAsync();
            await s.WriteAsync(Encoding.UTF8.GetBytes(text));
        }

        await Entry("xl/workbook.xml", """<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId7"/></sheets></workbook>""");
        await Entry("xl/_rels/workbook.xml.rels", """<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/></Relationships>""");
        await Entry("xl/sharedStrings.xml", "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">" + string.Concat(shared.Select(s => $"<si><r><t>{s[..1]}</t></r><r><t>{s[1..]}</t></r><rPh><t>ignored</t></rPh></si>")) + "</sst>");
        await Entry("xl/worksheets/data.xml", sheet);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
