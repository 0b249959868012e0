using System.Diagnostics;
using System.Globalization;

namespace Portal.Benchmarks;

/// <summary>
/// The whole run against bare scoring measured in pairs: each round times bare ONNX Runtime (its default threads and
/// one thread; the faster is the round's baseline) and the whole run back to back, in alternating order, and reports the
/// ratio per round. BenchmarkDotNet measures one benchmark after the other, minutes apart; on this shared two-core
/// machine the speed of bare scoring alone varied 38–108 ms between such minutes, so a ratio of two separate means says
/// as much about the machine as about the run. A pair is measured under the same conditions.
/// </summary>
/// <remarks><c>dotnet run -c Release --project tests/Portal.Benchmarks -- --paired [rounds]</c></remarks>
public static class PairedRunComparison
{
    public static void Run(int rounds)
    {
        var benchmarks = new RunBenchmarks();
        benchmarks.Setup();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                // Warm-up: every path compiled and tiered, the files in the page cache.
                benchmarks.BareScoring();
                benchmarks.BareScoringOneThread();
                benchmarks.DeleteResults();
                benchmarks.EndToEnd().GetAwaiter().GetResult();
            }

            var (bares, runs, ratios, cleanups) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
            Console.WriteLine("round  bare (default)  bare (1 thread)  whole run  bare/run");
            for (var round = 0; round < rounds; round++)
            {
                double defaultThreads, oneThread, run;
                cleanups.Add(Time(benchmarks.DeleteResults)); // the previous round's results, outside the time measured
                if (round % 2 == 0)
                {
                    defaultThreads = Time(() => benchmarks.BareScoring());
                    oneThread = Time(() => benchmarks.BareScoringOneThread());
                    run = Time(() => benchmarks.EndToEnd().GetAwaiter().GetResult());
                }
                else
                {
                    run = Time(() => benchmarks.EndToEnd().GetAwaiter().GetResult());
                    oneThread = Time(() => benchmarks.BareScoringOneThread());
                    defaultThreads = Time(() => benchmarks.BareScoring());
                }

                var bare = Math.Min(defaultThreads, oneThread);
                bares.Add(bare);
                runs.Add(run);
                ratios.Add(bare / run);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round,5}  {defaultThreads,14:F1}  {oneThread,15:F1}  {run,9:F1}  {bare / run,8:F2}"));
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{rounds} rounds of 100,000 rows: bare median {Median(bares):F1} ms, whole run median {Median(runs):F1} ms; bare/run per round: median {Median(ratios):F2}, quartiles {Quantile(ratios, 0.25):F2}–{Quantile(ratios, 0.75):F2}, min {ratios.Min():F2}, max {ratios.Max():F2}; deleting the previous results (not timed) median {Median(cleanups):F1} ms"));
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values) => Quantile(values, 0.5);

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        var at = q * (sorted.Count - 1);
        var (low, high) = ((int)Math.Floor(at), (int)Math.Ceiling(at));
        return sorted[low] + ((sorted[high] - sorted[low]) * (at - low));
    }
}
