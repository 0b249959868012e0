using Microsoft.ML.OnnxRuntime;
using Portal.Core.Templates;

namespace Portal.Inference.Templates;

/// <summary>
/// A template's ONNX model: one <see cref="InferenceSession"/>, loaded once and shared (ONNX Runtime's Run is
/// thread-safe). Scores a <see cref="TabularBatch"/> with one tensor per input column, shape [rows, 1].
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

    public TabularModel(string onnxPath, TemplateManifest manifest, SessionOptions? options = null)
    {
        Manifest = manifest;
        // ML.NET's one-hot nodes make ONNX Runtime warn about shape merging on every load; only errors are worth a log line.
        options ??= new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(onnxPath, options);
        _output = manifest.IsClassification ? ProbabilityOutput : ScoreOutput;
        _inputNames = [.. manifest.Inputs.Select(i => i.Name)];
        _outputNames = [_output];
        var missing = manifest.Inputs.Select(i => i.Name).Where(n => !_session.InputMetadata.ContainsKey(n)).ToList();
        if (missing.Count > 0 || !_session.OutputMetadata.ContainsKey(_output))
        {
            _session.Dispose();
            throw new InvalidDataException(
                $"{Path.GetFileName(onnxPath)} does not match template.json: missing inputs [{string.Join(", ", missing)}] or output '{_output}'.");
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

        var shape = new long[] { batch.Count, 1 };
        var values = new OrtValue[_inputNames.Length];
        try
        {
            for (var c = 0; c < values.Length; c++)
            {
                values[c] = batch.Column(c) switch
                {
                    float[] f => OrtValue.CreateTensorValueFromMemory(f, shape),
                    string[] s => StringTensor(s, shape),
                    _ => throw new InvalidOperationException($"Column {_inputNames[c]} has no values."),
                };
            }

            using var results = _session.Run(RunOptions, _inputNames, values, _outputNames);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }
        }
    }

    /// <summary>One bulk conversion of the column's strings into an ONNX string tensor (far cheaper than setting each element).</summary>
    private static OrtValue StringTensor(string[] strings, long[] shape) =>
        OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(strings, [(int)shape[0], 1]));

    public void Dispose() => _session.Dispose();
}
