using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Portal.Core.Templates;

namespace Portal.Inference.Templates;

/// <summary>
/// A template's ONNX model: one <see cref="InferenceSession"/>, loaded once and shared (ONNX Runtime's Run is
/// thread-safe). Scores a <see cref="TabularBatch"/> with one float tensor per input column: [rows, 1] for a number,
/// [rows, K] one-hot for a category with K declared values (in the manifest's order), as the training tool exports.
/// </summary>
public sealed class TabularModel : IDisposable
{
    /// <summary>Output names ML.NET's ONNX converter gives: the positive-class probability, or the regression score.</summary>
    public const string ProbabilityOutput = "Probability.output";
    public const string ScoreOutput = "Score.output";

    private static readonly RunOptions RunOptions = new();
    private readonly InferenceSession _session;
    private readonly string _output;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int[] _widths;

    public TabularModel(string onnxPath, TemplateManifest manifest, SessionOptions? options = null)
    {
        Manifest = manifest;
        // ML.NET's one-hot nodes make ONNX Runtime warn about shape merging on every load; only errors are worth a log line.
        // One thread per call: on a 4,096-row chunk of the credit model it took the same wall time as ONNX Runtime's
        // default pool, which kept a second core spinning (1.5× the CPU). That core is better spent on the run's reading
        // stage and on other requests; parallelism comes from concurrent calls.
        options ??= new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 };
        _session = new InferenceSession(onnxPath, options);
        _output = manifest.IsClassification ? ProbabilityOutput : ScoreOutput;
        _inputNames = [.. manifest.Inputs.Select(i => i.Name)];
        _outputNames = [_output];
        _widths = [.. manifest.Inputs.Select(i => i.Categories?.Count ?? 1)];
        var mismatched = manifest.Inputs.Select((input, c) => (input.Name, Width: _widths[c]))
            .Where(i => !_session.InputMetadata.TryGetValue(i.Name, out var meta) || meta.ElementType != typeof(float) || meta.Dimensions is not [_, var width] || width != i.Width)
            .Select(i => $"{i.Name} (float[rows, {i.Width}])")
            .ToList();
        if (mismatched.Count > 0 || !_session.OutputMetadata.ContainsKey(_output))
        {
            _session.Dispose();
            throw new InvalidDataException(
                $"{Path.GetFileName(onnxPath)} does not match template.json: inputs [{string.Join(", ", mismatched)}] or output '{_output}' missing or of another shape; re-train the pack with src/Portal.Training.");
        }
    }

    public TemplateManifest Manifest { get; }

    /// <summary>
    /// One number per row: the probability of the positive label (classification) or the predicted value (regression).
    /// Number columns are handed to ONNX Runtime without a copy (pinned); the output is read as one span.
    /// </summary>
    public float[] Score(TabularBatch batch)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        var rows = batch.Count;
        var values = new OrtValue[_inputNames.Length];
        var rented = new float[]?[_inputNames.Length];
        try
        {
            for (var c = 0; c < values.Length; c++)
            {
                var width = _widths[c];
                if (width == 1)
                {
                    values[c] = OrtValue.CreateTensorValueFromMemory(batch.Values(c), [rows, 1]);
                    continue;
                }

                // One-hot buffers come from the shared pool: a large batch would otherwise put megabytes on the
                // large-object heap at every call.
                var buffer = rented[c] = ArrayPool<float>.Shared.Rent(rows * width);
                OneHot(batch.Values(c), rows, width, buffer);
                values[c] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, rows * width), [rows, width]);
            }

            using var results = _session.Run(RunOptions, _inputNames, values, _outputNames);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            for (var c = 0; c < values.Length; c++)
            {
                values[c]?.Dispose();
                if (rented[c] is { } buffer)
                {
                    ArrayPool<float>.Shared.Return(buffer);
                }
            }
        }
    }

    /// <summary>Category positions as one-hot rows: row r has a 1 at column <c>index[r]</c>.</summary>
    public static float[] OneHot(float[] index, int rows, int width)
    {
        var encoded = new float[rows * width];
        OneHot(index, rows, width, encoded);
        return encoded;
    }

    private static void OneHot(float[] index, int rows, int width, float[] into)
    {
        Array.Clear(into, 0, rows * width);
        for (var r = 0; r < rows; r++)
        {
            into[(r * width) + (int)index[r]] = 1f;
        }
    }

    public void Dispose() => _session.Dispose();
}
