using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
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

    private readonly InferenceSession _session;
    private readonly string _output;

    public TabularModel(string onnxPath, TemplateManifest manifest, SessionOptions? options = null)
    {
        Manifest = manifest;
        // ML.NET's one-hot nodes make ONNX Runtime warn about shape merging on every load; only errors are worth a log line.
        options ??= new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(onnxPath, options);
        _output = manifest.IsClassification ? ProbabilityOutput : ScoreOutput;
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
    /// </summary>
    public float[] Score(TabularBatch batch)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        var shape = new[] { batch.Count, 1 };
        var inputs = new List<NamedOnnxValue>(Manifest.Inputs.Count);
        for (var c = 0; c < Manifest.Inputs.Count; c++)
        {
            var name = Manifest.Inputs[c].Name;
            inputs.Add(batch.Column(c) switch
            {
                float[] f => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(f, shape)),
                string[] s => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<string>(s, shape)),
                _ => throw new InvalidOperationException($"Column {name} has no values."),
            });
        }

        using var results = _session.Run(inputs, [_output]);
        var tensor = results[0].AsTensor<float>();
        var scores = new float[batch.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = tensor.GetValue(i);
        }

        return scores;
    }

    public void Dispose() => _session.Dispose();
}
