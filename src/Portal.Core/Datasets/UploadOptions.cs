using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Datasets;

/// <summary><c>Portal:Uploads</c>: what an uploaded data file may be.</summary>
public sealed class UploadOptions
{
    public const string Section = "Portal:Uploads";

    /// <summary>Largest upload in bytes, enforced while the file streams in (default 50 MB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Most bytes an <c>.xlsx</c> may expand to when unzipped (zip-bomb guard; default 500 MB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxExpandedBytes { get; set; } = 500L * 1024 * 1024;

    /// <summary>Most columns a file may have.</summary>
    [Range(1, 100_000)]
    public int MaxColumns { get; set; } = 1_000;

    /// <summary>Longest record (one CSV record or JSON line) in characters.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRecordChars { get; set; } = 1024 * 1024;
}
