using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Inference.Runs;

/// <summary>
/// The streaming core of a run, on two threads: this one reads and validates records into a chunk and stores each
/// chunk once it comes back scored; a scoring task runs the model on the chunk in between. Two chunks take turns, so
/// the model works on one while the other is stored and refilled, and memory stays bounded by the chunk size
/// whatever the file. Chunks are stored in file order, each in one transaction.
/// </summary>
public sealed class RunPipeline(TemplateManifest manifest, TabularModel model, int chunkRows)
{
    /// <summary>Scores the records after row <paramref name="after"/>.</summary>
    /// <param name="afterChunk">Called with the total rows done after each committed chunk; false stops the run.</param>
    /// <returns>The rows scored and stored by this call, and whether every record was read.</returns>
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
        var free = new Queue<RecordChunk>([new(manifest, fileColumns, label, chunkRows), new(manifest, fileColumns, label, chunkRows)]);
        var toScore = Channel.CreateBounded<RecordChunk>(2);
        var scored = Channel.CreateBounded<(RecordChunk Chunk, float[] Scores)>(2);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var scoring = Task.Run(() => ScoreAsync(toScore.Reader, scored.Writer, stop.Token), stop.Token);
        try
        {
            var done = 0;
            var inFlight = 0;
            var more = true;
            ExceptionDispatchInfo? unreadable = null;
            while (true)
            {
                while (more && free.Count > 0)
                {
                    var chunk = free.Dequeue();
                    chunk.Clear();
                    try
                    {
                        while (!chunk.IsFull && (more = await reader.ReadAsync(cancellationToken)))
                        {
                            if (reader.Row > after)
                            {
                                chunk.TryAdd(reader, null);
                            }
                        }
                    }
                    catch (TabularFileException e)
                    {
                        // The rest of the file cannot be read: the chunks already with the model are still stored.
                        (unreadable, more) = (ExceptionDispatchInfo.Capture(e), false);
                        chunk.Clear();
                    }

                    if (chunk.Count > 0)
                    {
                        await toScore.Writer.WriteAsync(chunk, cancellationToken);
                        inFlight++;
                    }
                    else
                    {
                        free.Enqueue(chunk);
                    }
                }

                if (inFlight == 0)
                {
                    unreadable?.Throw();
                    return (done, true);
                }

                var (next, scores) = await ReceiveAsync(scored.Reader, scoring, cancellationToken);
                inFlight--;
                await results.AppendAsync(next, scores, cancellationToken);
                done += next.Count;
                free.Enqueue(next);
                if (!await afterChunk(done))
                {
                    return (done, false);
                }
            }
        }
        finally
        {
            toScore.Writer.TryComplete();
            await stop.CancelAsync();
            await scoring.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ScoreAsync(ChannelReader<RecordChunk> toScore, ChannelWriter<(RecordChunk, float[])> scored, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in toScore.ReadAllAsync(cancellationToken))
            {
                await scored.WriteAsync((chunk, model.Score(chunk.Batch)), cancellationToken);
            }
        }
        finally
        {
            scored.TryComplete();
        }
    }

    /// <summary>The next scored chunk; if the model failed, its exception.</summary>
    private static async Task<(RecordChunk, float[])> ReceiveAsync(ChannelReader<(RecordChunk, float[])> scored, Task scoring, CancellationToken cancellationToken)
    {
        if (await scored.WaitToReadAsync(cancellationToken) && scored.TryRead(out var next))
        {
            return next;
        }

        await scoring; // throws what stopped the scoring
        throw new InvalidOperationException("The scoring stage ended with chunks still to score.");
    }
}
