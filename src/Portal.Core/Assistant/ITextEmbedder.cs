namespace Portal.Core.Assistant;

/// <summary>Turns text into unit-length vectors whose dot product is their cosine similarity.</summary>
public interface ITextEmbedder
{
    /// <summary>Names the model (and pooling); stored with every vector so that vectors of another model are never mixed in.</summary>
    string ModelId { get; }

    int Dimensions { get; }

    Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);

    /// <summary>How many tokens the model's tokenizer makes of <paramref name="text"/> (metering of the local engine).</summary>
    int CountTokens(string text);

    /// <summary>True when embedding calls a paid model server, so indexing a document is metered as LLM tokens.</summary>
    bool IsMetered => false;
}

/// <summary>Vector helpers.</summary>
public static class Vectors
{
    /// <summary>The dot product, compiled fully optimised at once (see <see cref="Datasets.ColumnConversions"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = System.Numerics.Vector<float>.Zero;
        var width = System.Numerics.Vector<float>.Count;
        var i = 0;
        for (; i <= a.Length - width; i += width)
        {
            sum += new System.Numerics.Vector<float>(a[i..]) * new System.Numerics.Vector<float>(b[i..]);
        }

        var total = System.Numerics.Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    public static byte[] ToBytes(float[] vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        Buffer.BlockCopy(vector, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    public static float[] FromBytes(byte[] bytes)
    {
        var vector = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, vector, 0, bytes.Length);
        return vector;
    }
}
