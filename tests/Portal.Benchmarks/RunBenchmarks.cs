using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Core.Templates;
using Portal.Inference.Runs;
using Portal.Inference.Templates;

namespace Portal.Benchmarks;

/// <summary>
/// A batch run end to end on 100,000 rows of the credit template's data set (its own CSV, repeated): the check before
/// the run (read, validate, keep the valid rows), then the run (score in chunks of 4,096 and append to a results file);
/// against the bare scoring path on the same rows (ONNX Runtime Run on tensors built once, in the same chunks). The
/// stages in between show where time goes.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 10, iterationCount: 20)]
[MemoryDiagnoser]
public class RunBenchmarks
{
    private const int Rows = 100_000;
    private const int Chunk = 4096;
    private readonly UploadOptions _limits = new();
    private string _folder = null!;
    private string _csv = null!;
    private string _checked = null!;
    private TemplateManifest _manifest = null!;
    private TabularModel _model = null!;
    private InferenceSession _bare = null!;
    private InferenceSession _bareOneThread = null!;
    private List<OrtValue[]> _bareChunks = null!;
    private string[] _inputNames = null!;
    private readonly Microsoft.ML.OnnxRuntime.RunOptions _runOptions = new();
    private int _iteration;

    [GlobalSetup]
    public void Setup()
    {
        var repo = ScoringBenchmarks.Repository();
        var pack = Path.Combine(repo, "src", "Portal.Templates", "finance-credit-risk");
        _manifest = JsonSerializer.Deserialize<TemplateManifest>(File.ReadAllText(Path.Combine(pack, "template.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _model = new TabularModel(Path.Combine(pack, "model.onnx"), _manifest); // the portal's own session options
        _bare = new InferenceSession(Path.Combine(pack, "model.onnx"), options); // ONNX Runtime's defaults
        _bareOneThread = new InferenceSession(Path.Combine(pack, "model.onnx"), new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 });

        _folder = Directory.CreateTempSubdirectory("portal-bench-").FullName;
        var source = File.ReadAllLines(Path.Combine(repo, "src", "Portal.Training", "Data", "german-credit", "german-credit.csv"));
        var text = new StringBuilder(source[0]).Append('\n');
        for (var i = 0; i < Rows; i++)
        {
            text.Append(source[1 + i % (source.Length - 1)]).Append('\n');
        }

        _csv = Path.Combine(_folder, "credit-100k.csv");
        File.WriteAllText(_csv, text.ToString());

        // What the check before a run leaves for it.
        _checked = Path.Combine(_folder, "credit-100k.checked");
        CheckAsync(_checked).GetAwaiter().GetResult();

        // The bare path's input: the same rows as validated column arrays, made into tensors once per chunk.
        var header = source[0].Split(',');
        var rows = Enumerable.Range(0, Rows).Select(i => (IReadOnlyDictionary<string, object?>)header.Zip(source[1 + i % (source.Length - 1)].Split(','))
            .ToDictionary(p => p.First, p => (object?)p.Second)).ToList();
        _inputNames = [.. _manifest.Inputs.Select(i => i.Name)];
        _bareChunks = [];
        for (var start = 0; start < Rows; start += Chunk)
        {
            var batch = TabularValidator.Validate(_manifest, rows.Skip(start).Take(Chunk).ToList()).Batch;
            _bareChunks.Add(ScoringBenchmarks.BareInputs(_manifest, batch));
        }
    }

    /// <summary>ONNX Runtime alone on the same 100,000 rows, in the same chunks, tensors built once.</summary>
    [Benchmark(Baseline = true)]
    public int BareScoring() => ScoreAll(_bare);

    /// <summary>The same with one ONNX Runtime thread (the portal's setting); the faster of the two is the fair baseline.</summary>
    [Benchmark]
    public int BareScoringOneThread() => ScoreAll(_bareOneThread);

    private int ScoreAll(InferenceSession session)
    {
        var n = 0;
        foreach (var inputs in _bareChunks)
        {
            using var results = session.Run(_runOptions, _inputNames, inputs, [TabularModel.ProbabilityOutput]);
            n += results[0].GetTensorDataAsSpan<float>().Length;
        }

        return n;
    }

    /// <summary>Stage 1: read and parse the CSV file.</summary>
    [Benchmark]
    public async Task<int> Read()
    {
        using var reader = await TabularFile.OpenAsync(_csv, DatasetFormat.Csv, _limits);
        var n = 0;
        while (await reader.ReadAsync())
        {
            n++;
        }

        return n;
    }

    /// <summary>Stages 1–2: read and validate into chunks.</summary>
    [Benchmark]
    public async Task<int> ReadValidate()
    {
        using var reader = await TabularFile.OpenAsync(_csv, DatasetFormat.Csv, _limits);
        var mapping = ColumnMapping.Match(_manifest, reader.Header);
        var chunk = new RecordChunk(_manifest, mapping.Indices(_manifest, reader.Header), mapping.LabelIndex(reader.Header), Chunk);
        var n = 0;
        while (await reader.ReadAsync())
        {
            if (chunk.IsFull)
            {
                n += chunk.Count;
                chunk.Clear();
            }

            chunk.TryAdd(reader, null);
        }

        return n + chunk.Count;
    }

    /// <summary>The check before a run: read, validate and keep the valid rows for the run (the validation report's pass).</summary>
    [Benchmark]
    public Task<int> Check() => CheckAsync(Path.Combine(_folder, "check.checked"));

    private async Task<int> CheckAsync(string path)
    {
        using var reader = await TabularFile.OpenAsync(_csv, DatasetFormat.Csv, _limits);
        await using var rows = CheckedRowsFile.Create(path, Chunk);
        var report = await DatasetValidator.ValidateAsync(reader, _manifest, null, 10, null, rows, CancellationToken.None);
        await rows.CompleteAsync("bench", CancellationToken.None);
        return report.ValidRows;
    }

    /// <summary>The run's first stage: the checked rows read back into chunks.</summary>
    [Benchmark]
    public async Task<int> ReadChecked()
    {
        using var source = await CheckedRowsFile.TryOpenAsync(_checked, "bench", _manifest, labelled: true, CancellationToken.None)
            ?? throw new InvalidOperationException("The checked rows are gone.");
        var chunk = source.NewChunk();
        var n = 0;
        bool more;
        do
        {
            more = await source.FillAsync(chunk, CancellationToken.None);
            n += chunk.Count;
        }
        while (more);
        return n;
    }

    /// <summary>The checked rows read back and stored with made-up scores: the run without the model.</summary>
    [Benchmark]
    public async Task<int> ReadCheckedStore()
    {
        using var source = await CheckedRowsFile.TryOpenAsync(_checked, "bench", _manifest, labelled: true, CancellationToken.None)
            ?? throw new InvalidOperationException("The checked rows are gone.");
        await using var results = await RunResultsFile.CreateAsync(Path.Combine(_folder, $"results-{_iteration++}.db"), _manifest, CancellationToken.None);
        var chunk = source.NewChunk();
        var scores = new float[chunk.Capacity];
        var n = 0;
        bool more;
        do
        {
            more = await source.FillAsync(chunk, CancellationToken.None);
            await results.AppendAsync(chunk, scores, CancellationToken.None);
            n += chunk.Count;
        }
        while (more);
        await results.CompleteAsync(CancellationToken.None);
        return n;
    }

    /// <summary>
    /// The whole run as the worker runs it once queued (<c>Portal:Runs:ChunksWithModel</c> chunks with the model at
    /// once): the rows the check kept, scored and appended to a fresh results file.
    /// </summary>
    [Benchmark]
    public async Task<int> EndToEnd()
    {
        using var source = await CheckedRowsFile.TryOpenAsync(_checked, "bench", _manifest, labelled: true, CancellationToken.None)
            ?? throw new InvalidOperationException("The checked rows are gone.");
        return await RunPipelineAsync(source);
    }

    /// <summary>The whole run when the check's rows are not there (a run queued by an earlier version): read, validate, score, store.</summary>
    [Benchmark]
    public async Task<int> EndToEndFromFile()
    {
        using var reader = await TabularFile.OpenAsync(_csv, DatasetFormat.Csv, _limits);
        return await RunPipelineAsync(new FileRecords(reader, _manifest, null, 0, Chunk));
    }

    private async Task<int> RunPipelineAsync(IRecordSource source, int? chunksWithModel = null)
    {
        var path = Path.Combine(_folder, $"results-{_iteration++}.db");
        await using var results = await RunResultsFile.CreateAsync(path, _manifest, CancellationToken.None);
        var (scored, _) = await new RunPipeline(_model, chunksWithModel ?? new Portal.Core.Runs.RunOptions().ChunksWithModel)
            .RunAsync(source, results, _ => Task.FromResult(true), CancellationToken.None);
        await results.CompleteAsync(CancellationToken.None); // as the worker does before it marks the run finished
        return scored;
    }

    /// <summary>
    /// Deletes the results of earlier calls before each call that writes results, outside the time measured (one call
    /// per iteration). Kept, the files piled up as dirty pages that the disk wrote back during later calls, and the spread
    /// doubled; deleted inside the call, as before 2026-11-30, they added 2.9–9.6 ms (median about 5) to every whole run,
    /// a cost of the benchmark, not of a run.
    /// </summary>
    [IterationSetup(Targets = [nameof(ReadCheckedStore), nameof(EndToEnd), nameof(EndToEndFromFile)])]
    public void DeleteResults()
    {
        foreach (var file in Directory.GetFiles(_folder, "results-*"))
        {
            File.Delete(file);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var value in _bareChunks.SelectMany(c => c))
        {
            value.Dispose();
        }

        _bare.Dispose();
        _bareOneThread.Dispose();
        _model.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
