using System.Text;

namespace Portal.Core.Datasets;

/// <summary>Looks at the start of a text file: refuses binary content and detects the encoding and the delimiter.</summary>
internal static class TextFileSniffer
{
    public const int SampleBytes = 64 * 1024;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];
    private static ReadOnlySpan<byte> Utf16LeBom => [0xFF, 0xFE];
    private static ReadOnlySpan<byte> Utf16BeBom => [0xFE, 0xFF];

    private static ReadOnlySpan<char> Delimiters => [',', ';', '\t', '|'];

    /// <summary>The encoding to read the file with (decoding errors throw), and its name.</summary>
    public static (Encoding Encoding, string Name) DetectEncoding(ReadOnlySpan<byte> sample, bool complete)
    {
        if (sample.IsEmpty)
        {
            throw new TabularFileException("The file is empty.");
        }

        if (sample.StartsWith(Utf8Bom))
        {
            return (Strict(new UTF8Encoding(true, true)), "utf-8");
        }

        if (sample.StartsWith(Utf16LeBom))
        {
            return (Strict(new UnicodeEncoding(false, true, true)), "utf-16le");
        }

        if (sample.StartsWith(Utf16BeBom))
        {
            return (Strict(new UnicodeEncoding(true, true, true)), "utf-16be");
        }

        RefuseBinary(sample);
        if (IsValid(new UTF8Encoding(false, true), sample, complete))
        {
            return (new UTF8Encoding(false, true), "utf-8");
        }

        // Not UTF-8: files saved by Excel on Chinese Windows are GB18030 (GBK); Western ones Windows-1252.
        var gb = Strict(CodePagesEncodingProvider.Instance.GetEncoding(54936)!);
        if (IsValid(gb, sample, complete))
        {
            return (gb, "gb18030");
        }

        return (CodePagesEncodingProvider.Instance.GetEncoding(1252)!, "windows-1252");
    }

    /// <summary>The delimiter that splits the first lines into the same number of cells most consistently.</summary>
    public static char DetectDelimiter(string sample)
    {
        var lines = sample.Split('\n', 21).Take(20).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count > 1 && sample.Length >= SampleBytes / 2)
        {
            lines.RemoveAt(lines.Count - 1); // the last line of a cut sample may be partial
        }

        var best = ',';
        var bestScore = 0;
        foreach (var d in Delimiters)
        {
            var counts = lines.Select(l => CountOutsideQuotes(l, d)).ToList();
            if (counts.Count == 0 || counts[0] == 0)
            {
                continue;
            }

            var score = counts.Count(c => c == counts[0]) * 1000 + counts[0];
            if (score > bestScore)
            {
                (best, bestScore) = (d, score);
            }
        }

        return best;
    }

    private static int CountOutsideQuotes(string line, char delimiter)
    {
        var count = 0;
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == delimiter && !quoted)
            {
                count++;
            }
        }

        return count;
    }

    private static void RefuseBinary(ReadOnlySpan<byte> sample)
    {
        if (sample.StartsWith("PK\x03\x04"u8))
        {
            throw new TabularFileException("This is a zip archive or an Excel workbook, not text. Upload Excel workbooks with the .xlsx extension.");
        }

        if (sample.StartsWith("%PDF"u8))
        {
            throw new TabularFileException("This is a PDF document, not a data table.");
        }

        var control = 0;
        foreach (var b in sample)
        {
            if (b == 0)
            {
                throw new TabularFileException("This is a binary file, not CSV text (it contains NUL bytes).");
            }

            if (b < 0x09 || b is > 0x0D and < 0x20 and not 0x1B)
            {
                control++;
            }
        }

        if (control > sample.Length / 100 + 1)
        {
            throw new TabularFileException("This is a binary file, not CSV text (it contains control characters).");
        }
    }

    private static bool IsValid(Encoding encoding, ReadOnlySpan<byte> sample, bool complete)
    {
        var decoder = encoding.GetDecoder();
        var chars = new char[encoding.GetMaxCharCount(Math.Min(sample.Length, 4096))];
        try
        {
            for (var at = 0; at < sample.Length; at += 4096)
            {
                var part = sample.Slice(at, Math.Min(4096, sample.Length - at));
                var last = complete && at + part.Length == sample.Length;
                decoder.GetChars(part, chars, flush: last);
            }

            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static Encoding Strict(Encoding encoding)
    {
        var clone = (Encoding)encoding.Clone();
        clone.DecoderFallback = DecoderFallback.ExceptionFallback;
        return clone;
    }
}
