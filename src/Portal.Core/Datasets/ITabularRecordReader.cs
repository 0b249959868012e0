namespace Portal.Core.Datasets;

/// <summary>
/// Reads a data file record by record, in bounded memory. The header is read on open; <see cref="Current"/> is aligned
/// to it (missing cells are null). Structural problems of one record (too few or too many cells, a line that is not
/// a JSON object) are reported in <see cref="RecordError"/>; problems that make the rest unreadable throw
/// <see cref="TabularFileException"/>.
/// </summary>
public interface ITabularRecordReader : IDisposable
{
    IReadOnlyList<string> Header { get; }

    /// <summary>How the file was read, e.g. <c>CSV, UTF-8, ';'</c>.</summary>
    string Description { get; }

    /// <summary>The text encoding detected (<c>utf-8</c>, <c>gb18030</c>, …), or null for binary formats.</summary>
    string? Encoding { get; }

    /// <summary>1-based number of the current data row (the first row after the header is 1).</summary>
    int Row { get; }

    /// <summary>The current record's cells, one per header column (a new array per record).</summary>
    string?[] Current { get; }

    /// <summary>
    /// The current record's cell in <paramref name="column"/> (empty when missing) without allocating; valid until the
    /// next read. The run pipeline reads cells this way.
    /// </summary>
    ReadOnlySpan<char> Cell(int column) => Current[column];

    /// <summary>What is wrong with the current record as a whole (a sentence about "the row"), or null.</summary>
    LocalizableText? RecordError { get; }

    ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default);
}
