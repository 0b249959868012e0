using Portal.Core.Templates;

namespace Portal.Core.Datasets;

/// <summary>What a file's rows look like against a template: counts, the first errors, and errors per column.</summary>
public sealed record ValidationReport(
    int TotalRows,
    int ValidRows,
    IReadOnlyList<string> MissingColumns,
    IReadOnlyList<CellError> Errors,
    int ErrorCount,
    IReadOnlyDictionary<string, int> ErrorsByColumn,
    ColumnMapping Mapping)
{
    public int InvalidRows => TotalRows - ValidRows;

    /// <summary>The file has the template's label column, so a run can be evaluated.</summary>
    public bool HasLabel => Mapping.LabelColumn is not null;
}

/// <summary>Streams a file through a template's schema once, in bounded memory.</summary>
public static class DatasetValidator
{
    /// <param name="allErrors">Receives every error (for the downloadable error file); the report keeps the first <paramref name="keep"/>.</param>
    /// <param name="validRows">Receives the valid records a chunk at a time (with the label cell when the file has one), for the run.</param>
    public static async Task<ValidationReport> ValidateAsync(
        ITabularRecordReader reader,
        TemplateManifest manifest,
        IReadOnlyDictionary<string, string>? manualMapping,
        int keep,
        Func<CellError, ValueTask>? allErrors = null,
        CheckedRowsWriter? validRows = null,
        CancellationToken cancellationToken = default)
    {
        var mapping = ColumnMapping.Match(manifest, reader.Header, manualMapping);
        if (!mapping.IsComplete)
        {
            return new ValidationReport(0, 0, mapping.Missing, [], 0, new Dictionary<string, int>(), mapping);
        }

        var chunk = new RecordChunk(manifest, mapping.Indices(manifest, reader.Header), validRows is null ? -1 : mapping.LabelIndex(reader.Header), validRows?.ChunkRows ?? 1);
        var kept = new List<CellError>();
        var byColumn = new Dictionary<string, int>(StringComparer.Ordinal);
        var pending = new List<CellError>();
        int total = 0, valid = 0, errorCount = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            total++;
            if (chunk.IsFull)
            {
                await (validRows?.AppendAsync(chunk, cancellationToken) ?? Task.CompletedTask);
                chunk.Clear();
            }

            pending.Clear();
            if (chunk.TryAdd(reader, pending.Add))
            {
                valid++;
                continue;
            }

            foreach (var error in pending)
            {
                errorCount++;
                var column = error.Column.Length == 0 ? "(row)" : error.Column;
                byColumn[column] = byColumn.GetValueOrDefault(column) + 1;
                if (kept.Count < keep)
                {
                    kept.Add(error);
                }

                if (allErrors is not null)
                {
                    await allErrors(error);
                }
            }
        }

        await (validRows?.AppendAsync(chunk, cancellationToken) ?? Task.CompletedTask);
        return new ValidationReport(total, valid, [], kept, errorCount, byColumn, mapping);
    }
}
