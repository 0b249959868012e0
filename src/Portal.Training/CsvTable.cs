using System.Globalization;

namespace Portal.Training;

/// <summary>A small comma-separated file with a header (the shared data sets: UTF-8, no quoted commas).</summary>
internal sealed record CsvTable(IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows)
{
    public static CsvTable Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        var ragged = rows.FindIndex(r => r.Length != header.Length);
        return ragged < 0 ? new CsvTable(header, rows) : throw new InvalidDataException($"{path}: row {ragged + 2} has {rows[ragged].Length} cells, the header {header.Length}.");
    }

    public int Index(string column) => Header.ToList().IndexOf(column) is var i and >= 0 ? i : throw new KeyNotFoundException(column);

    public IReadOnlyDictionary<string, string> Row(string[] cells) => Header.Zip(cells).ToDictionary(p => p.First, p => p.Second);

    public static void Write(string path, IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        using var writer = new StreamWriter(path, false, new System.Text.UTF8Encoding(false));
        writer.Write(string.Join(',', header));
        writer.Write('\n');
        foreach (var row in rows)
        {
            writer.Write(string.Join(',', row));
            writer.Write('\n');
        }
    }

    public static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
