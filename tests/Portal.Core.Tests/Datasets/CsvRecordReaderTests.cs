using System.Text;
using Portal.Core.Datasets;

namespace Portal.Core.Tests.Datasets;

/// <summary>
/// The block-buffered CSV reader against a plain reference state machine over the whole text: random files with
/// quotes, doubled quotes, delimiters and line breaks inside cells, CR, LF and CRLF endings, empty lines and long
/// cells, so that records, cells and line ends fall across the 64 K-character blocks in every way.
/// </summary>
public sealed class CsvRecordReaderTests
{
    [Theory]
    [InlineData(1, ',')]
    [InlineData(2, ';')]
    [InlineData(3, '\t')]
    [InlineData(4, ',')]
    [InlineData(5, '|')]
    public async Task Reads_the_same_records_as_the_reference_parser(int seed, char delimiter)
    {
        var random = new Random(seed);
        var text = RandomCsv(random, delimiter, records: 3_000);
        var expected = Reference(text, delimiter);
        var actual = await ReadAsync(text, delimiter);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Line, actual[i].Line);
            Assert.Equal(expected[i].Cells, actual[i].Cells);
        }
    }

    [Theory]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    public async Task A_crlf_split_by_the_block_end_is_one_line_end(int before)
    {
        var first = new string('x', before - 1);
        var records = await ReadAsync($"{first}\r\nb\r\n\r\nc", ',');
        Assert.Equal([(1, new[] { first }), (2, ["b"]), (4, ["c"])], records.Select(r => (r.Line, r.Cells)));
    }

    [Fact]
    public async Task A_record_longer_than_a_block_grows_the_block_and_a_longer_one_than_the_limit_is_refused()
    {
        var wide = string.Join(",", Enumerable.Range(0, 30_000).Select(i => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)));
        var records = await ReadAsync($"{wide}\n1\n", ',');
        Assert.Equal(30_000, records[0].Cells.Length);
        Assert.Equal("29999", records[0].Cells[^1]);
        Assert.Equal(["1"], records[1].Cells);

        var error = await Assert.ThrowsAsync<TabularFileException>(() => ReadAsync(new string('a', 300_000) + "\n", ',', maxChars: 200_000));
        Assert.Equal("The record starting on line 1 is longer than 200,000 characters. Is the file really a table?", error.Message);
    }

    private static async Task<List<(int Line, string[] Cells)>> ReadAsync(string text, char delimiter, int maxChars = 1024 * 1024)
    {
        using var reader = new CsvRecordReader(new StringReader(text), delimiter, quoting: true, maxChars, maxColumns: 100_000);
        var records = new List<(int, string[])>();
        while (await reader.ReadAsync(CancellationToken.None))
        {
            records.Add((reader.StartLine, [.. reader.ToList()]));
        }

        return records;
    }

    private static string RandomCsv(Random random, char delimiter, int records)
    {
        string[] endings = ["\n", "\r\n", "\r"];
        var text = new StringBuilder();
        for (var r = 0; r < records; r++)
        {
            if (random.Next(20) == 0)
            {
                text.Append(endings[random.Next(3)]); // an empty line
            }

            var cells = random.Next(1, 8);
            for (var c = 0; c < cells; c++)
            {
                if (c > 0)
                {
                    text.Append(delimiter);
                }

                var kind = random.Next(10);
                var length = random.Next(20) == 0 ? random.Next(500, 40_000) : random.Next(0, 12);
                var cell = new string([.. Enumerable.Range(0, length).Select(_ => (char)random.Next('a', 'z' + 1))]);
                text.Append(kind switch
                {
                    0 => "\"" + cell + delimiter + "\"\"" + endings[random.Next(3)] + cell + "\"", // quoted, with everything inside
                    1 => "x" + cell + "\"" + cell, // a quote inside an unquoted cell is a character
                    2 => "\"" + cell + "\"" + cell, // text after the closing quote
                    _ => cell,
                });
            }

            text.Append(endings[random.Next(3)]);
        }

        return text.ToString();
    }

    /// <summary>RFC 4180 as one loop over the whole text: the semantics the reader must keep.</summary>
    private static List<(int Line, string[] Cells)> Reference(string text, char delimiter)
    {
        var records = new List<(int, string[])>();
        var cells = new List<string>();
        var field = new StringBuilder();
        var (line, start, inQuotes, any) = (1, 1, false, false);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }
            }
            else if (c == delimiter)
            {
                cells.Add(field.ToString());
                field.Clear();
                any = true;
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                line++;
                if (any || field.Length > 0)
                {
                    cells.Add(field.ToString());
                    records.Add((start, [.. cells]));
                }

                (cells, start, any) = ([], line, false);
                field.Clear();
            }
            else if (c == '"' && field.Length == 0)
            {
                (inQuotes, any) = (true, true);
            }
            else
            {
                field.Append(c);
                any = true;
            }
        }

        if (any || field.Length > 0)
        {
            cells.Add(field.ToString());
            records.Add((start, [.. cells]));
        }

        return records;
    }
}
