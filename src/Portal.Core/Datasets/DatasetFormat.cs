namespace Portal.Core.Datasets;

/// <summary>The file formats an upload may have.</summary>
public enum DatasetFormat
{
    Csv = 0,
    Xlsx = 1,
    JsonLines = 2,
}

public static class DatasetFormats
{
    /// <summary>The format named by a file's extension, or null when the portal does not read it.</summary>
    public static DatasetFormat? FromFileName(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".csv" or ".tsv" or ".txt" => DatasetFormat.Csv,
        ".xlsx" => DatasetFormat.Xlsx,
        ".jsonl" or ".ndjson" => DatasetFormat.JsonLines,
        _ => null,
    };

    public static string Accepted => ".csv, .tsv, .txt, .xlsx, .jsonl, .ndjson";
}

/// <summary>A file the portal cannot read, with a message a person can act on (in English in the API, translated on pages).</summary>
public sealed class TabularFileException(string format, params object[] args) : LocalizableException(new LocalizableText(format, args));
