using System.Runtime.ExceptionServices;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Inference.Templates;

namespace Portal.Inference.Runs;

/// <summary>
/// The streaming core of a run. This thread fills a chunk with valid records (read and checked from the dataset's file,
/// or as the check before the run left them) and hands it to the model on the thread pool, filling the next while the
/// model works; up to <c>chunksWithModel</c> chunks are with the model at once
/// (the session takes concurrent calls, each on one thread), and each scored chunk is stored here in file order, in one
/// transaction. Memory stays bounded by those chunks whatever the file.
/// </summary>
/// <remarks>
/// Measured on 100,000 credit rows on two cores (RunBenchmarks): two chunks with the model (one scored while the next
/// is read, the earlier design) took 109–122 ms in three runs, three chunks 95–98 ms (bare ONNX Runtime 38–55 ms); a
/// fourth run, in a slower phase of the machine, had them alike (110 and 112 ms).
/// </remarks>
public sealed class RunPipeline(TabularModel model, int chunksWithModel)
{
    /// <summary>Scores the source's records.</summary>
    /// <param name="afterChunk">Called with the total rows done after each committed chunk; false stops the run.</param>
    /// <returns>The rows scored and stored by this call, and whether every record was read.</returns>
    public async Task<(int Scored, bool Completed)> RunAsync(
        IRecordSource source,
        RunResultsFile results,
        Func<int, Task<bool>> afterChunk,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunksWithModel, 1);
        // The chunks with the model, in file order.
        var scoring = new Queue<(RecordChunk Chunk, Task<float[]> Scores)>();
        var free = new Stack<RecordChunk>();
        try
        {
            var done = 0;
            var more = true;
            ExceptionDispatchInfo? unreadable = null;
            while (true)
            {
                while (more && scoring.Count < chunksWithModel)
                {
                    var chunk = free.TryPop(out var reused) ? reused : source.NewChunk();
                    try
                    {
                        more = await source.FillAsync(chunk, cancellationToken);
                    }
                    catch (TabularFileException e)
                    {
                        // The rest of the file cannot be read: the chunks already with the model are still stored.
                        (unreadable, more) = (ExceptionDispatchInfo.Capture(e), false);
                        chunk.Clear();
                    }

                    if (chunk.Count > 0)
                    {
                        scoring.Enqueue((chunk, Task.Run(() => model.Score(chunk.Batch), CancellationToken.None)));
                    }
                    else
                    {
                        free.Push(chunk);
                    }
                }

                if (!scoring.TryPeek(out var next))
                {
                    unreadable?.Throw();
                    return (done, true);
                }

                var scores = await next.Scores.WaitAsync(cancellationToken);
                scoring.Dequeue();
                await results.AppendAsync(next.Chunk, scores, cancellationToken);
                done += next.Chunk.Count;
                free.Push(next.Chunk);
                if (!await afterChunk(done))
                {
                    return (done, false);
                }
            }
        }
        finally
        {
            // A chunk's buffers are the model's input until its call returns, and a model error must not go unobserved.
            foreach (var (_, scores) in scoring)
            {
                await scores.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }
}
