using System.Threading.Channels;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Inference.Runs;

/// <summary>
/// The streaming core of a run, in two stages on two threads: a reading task reads and validates records into one
/// chunk while this one scores the chunk before it and appends it to the results in one transaction. Two chunks
/// take turns, so memory stays bounded by the chunk size whatever the file, and reading overlaps scoring.
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
        var fileColumns = columns.Indices(manifest, reader.Header);
        var label = columns.LabelIndex(reader.Header);
        var empty = Channel.CreateBounded<RecordChunk>(2);
        var filled = Channel.CreateBounded<RecordChunk>(2);
        empty.Writer.TryWrite(new RecordChunk(manifest, fileColumns, label, chunkRows));
        empty.Writer.TryWrite(new RecordChunk(manifest, fileColumns, label, chunkRows));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = Task.Run(() => ReadAsync(reader, after, empty.Reader, filled.Writer, stop.Token), stop.Token);
        var scored = 0;
        try
        {
            await foreach (var chunk in filled.Reader.ReadAllAsync(cancellationToken))
            {
                var scores = model.Score(chunk.Batch);
                await results.AppendAsync(chunk, scores, cancellationToken);
                scored += chunk.Count;
                empty.Writer.TryWrite(chunk);
                if (!await afterChunk(scored))
                {
                    return (scored, false);
                }
            }

            await reading; // a file that turned out unreadable throws here, after the rows before it were scored
            return (scored, true);
        }
        finally
        {
            await stop.CancelAsync();
            await reading.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static async Task ReadAsync(ITabularRecordReader reader, int after, ChannelReader<RecordChunk> empty, ChannelWriter<RecordChunk> filled, CancellationToken cancellationToken)
    {
        try
        {
            var more = true;
            while (more)
            {
                var chunk = await empty.ReadAsync(cancellationToken);
                chunk.Clear();
                while (!chunk.IsFull && (more = await reader.ReadAsync(cancellationToken)))
                {
                    if (reader.Row > after)
                    {
                        chunk.TryAdd(reader, null);
                    }
                }

                if (chunk.Count > 0)
                {
                    await filled.WriteAsync(chunk, cancellationToken);
                }
            }
        }
        finally
        {
            filled.TryComplete();
        }
    }
}
