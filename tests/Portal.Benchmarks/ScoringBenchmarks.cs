using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Benchmarks;

/// <summary>
/// The portal's scoring path against a bare ONNX Runtime Run on the same 10,000 pre-built rows, per template.
/// Ratio = portal time / bare time; throughput ratio = 1 / Ratio.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private const int Rows = 10_000;
    private InferenceSession _bare = null!;
    private OrtValue[] _bareInputs = null!;
    private string[] _inputNames = null!;
    private readonly RunOptions _runOptions = new();
    private string _output = null!;
    private TabularModel _portal = null!;
    private TabularBatch _batch = null!;
    private List<IReadOnlyDictionary<string, object?>> _rawRows = null!;
    private TemplateManifest _manifest = null!;

    [Params("medical-breast-cancer", "medical-diabetes-progression", "finance-credit-risk", "education-student-performance")]
    public string Template { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var folder = Path.Combine(Repository(), "src", "Portal.Templates", Template);
        _manifest = JsonSerializer.Deserialize<TemplateManifest>(File.ReadAllText(Path.Combine(folder, "template.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var lines = File.ReadAllLines(Path.Combine(folder, "validation.csv")).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        var source = lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => (object?)p.Second)).ToList();
        _rawRows = [.. Enumerable.Range(0, Rows).Select(i => (IReadOnlyDictionary<string, object?>)source[i % source.Count])];
        _batch = TabularValidator.Validate(_manifest, _rawRows).Batch;

        var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        var modelPath = Path.Combine(folder, "model.onnx");
        _portal = new TabularModel(modelPath, _manifest, options);
        _bare = new InferenceSession(modelPath, options);
        _output = _manifest.IsClassification ? TabularModel.ProbabilityOutput : TabularModel.ScoreOutput;
        var shape = new long[] { Rows, 1 };
        _inputNames = [.. _manifest.Inputs.Select(i => i.Name)];
        _bareInputs = BareInputs(_manifest, _batch);
    }

    /// <summary>ONNX Runtime alone, used at its best: input OrtValues built once, one Run, the scores copied out as a span.</summary>
    [Benchmark(Baseline = true)]
    public float[] BareOnnxRuntime()
    {
        using var results = _bare.Run(_runOptions, _inputNames, _bareInputs, [_output]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>ONNX Runtime alone, but building its input tensors (one-hot vectors included) from the same arrays on every call, as any caller must.</summary>
    [Benchmark]
    public float[] BareOnnxRuntimeBuildingInputs()
    {
        var inputs = BareInputs(_manifest, _batch);
        try
        {
            using var results = _bare.Run(_runOptions, _inputNames, inputs, [_output]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }
    }

    /// <summary>The portal's scoring path on validated rows (what runs and the predict API call per batch).</summary>
    [Benchmark]
    public float[] PortalScore() => _portal.Score(_batch);

    /// <summary>The portal's path from raw cells: schema validation and conversion, then scoring.</summary>
    [Benchmark]
    public float[] PortalValidateAndScore() => _portal.Score(TabularValidator.Validate(_manifest, _rawRows).Batch);

    [GlobalCleanup]
    public void Cleanup()
    {
        _bare.Dispose();
        _portal.Dispose();
        foreach (var input in _bareInputs)
        {
            input.Dispose();
        }

        _runOptions.Dispose();
    }

    /// <summary>The model's input tensors, as any caller of the exported model builds them: numbers [rows, 1], categories one-hot [rows, K].</summary>
    internal static OrtValue[] BareInputs(TemplateManifest manifest, TabularBatch batch) =>
        [.. manifest.Inputs.Select((input, c) => input.Categories is { Count: var width }
            ? OrtValue.CreateTensorValueFromMemory(TabularModel.OneHot(batch.Values(c), batch.Count, width), [batch.Count, width])
            : OrtValue.CreateTensorValueFromMemory(batch.Values(c), [batch.Count, 1]))];

    internal static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            {
                return dir.FullName;
            }
        }

        return Environment.GetEnvironmentVariable("PORTAL_REPO") ?? throw new DirectoryNotFoundException("Set PORTAL_REPO to the repository root.");
    }
}
