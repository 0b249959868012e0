using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Inference.Runs;

/// <summary>
/// The streaming core of a run: records are read, validated into a reusable chunk, scored as one batch and appended
/// to the results in one transaction, chunk after chunk, so memory stays bounded by the chunk size whatever the file.
/// </summary>
public sealed class RunPipeline(TemplateManifest manifest, TabularModel model, int chunkRows)
{
    /// <summary>Scores the records after row <paramref name="after"/>.</summary>
    /// <param name="afterChunk">Called with the total rows done after each committed chunk; false stops the run.</param>
    /// <returns>The rows scored by this call, and whether every record was read.</returns>
    public async Task<(int Scored, bool Completed)> RunAsync(
        ITabularRecordReader reader,
        IReadOnlyDictionary<string, string>? mapping,
        RunResultsFile results,
        int after,
        Func<int, Task<bool>> afterChunk,
        CancellationToken cancellationToken)
    {
        var columns = ColumnMapping.Match(manifest, reader.Header, mapping);
        var chunk = new RecordChunk(manifest, columns.Indices(manifest, reader.Header), columns.LabelIndex(reader.Header), chunkRows);
        var output = manifest.Output;
        var rows = new List<ResultRow>(chunk.Capacity);
        var scored = 0;
        var more = true;
        while (more)
        {
            chunk.Clear();
            while (!chunk.IsFull && (more = await reader.ReadAsync(cancellationToken)))
            {
                if (reader.Row > after)
                {
                    chunk.TryAdd(reader.Row, reader.Current, reader.RecordError, null);
                }
            }

            if (chunk.Count == 0)
            {
                break;
            }

            var batch = chunk.Batch;
            var scores = model.Score(batch);
            rows.Clear();
            for (var i = 0; i < chunk.Count; i++)
            {
                var label = manifest.IsClassification ? (scores[i] >= 0.5f ? output.PositiveLabel : output.NegativeLabel) : null;
                rows.Add(new ResultRow(chunk.Rows[i], label, Math.Round(scores[i], 6), chunk.Actuals[i], chunk.InputText(i)));
            }

            await results.AppendAsync(rows, cancellationToken);
            scored += chunk.Count;
            if (!await afterChunk(scored))
            {
                return (scored, false);
            }
        }

        return (scored, true);
    }
}
