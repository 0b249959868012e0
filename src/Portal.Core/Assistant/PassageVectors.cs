using System.Security.Cryptography;
using System.Text;

namespace Portal.Core.Assistant;

/// <summary>
/// Vectors computed ahead of time (the seeded course material ships with them, so a fresh install and every test start
/// without embedding hundreds of passages). Keyed by the SHA-256 of the text embedded, for one model: a passage whose
/// text changed is simply not found and gets embedded live.
/// </summary>
public static class PassageVectors
{
    private const string Magic = "PVEC1";

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static async Task WriteAsync(string path, string model, IReadOnlyList<(string Text, float[] Vector)> entries, CancellationToken cancellationToken = default)
    {
        await using var file = File.Create(path);
        await using var writer = new BinaryWriter(file, Encoding.UTF8);
        writer.Write(Magic);
        writer.Write(model);
        writer.Write(entries.Count);
        writer.Write(entries.Count == 0 ? 0 : entries[0].Vector.Length);
        foreach (var (text, vector) in entries)
        {
            writer.Write(Convert.FromHexString(Hash(text)));
            foreach (var x in vector)
            {
                writer.Write(x);
            }
        }
    }

    /// <summary>The stored vectors by text hash, or an empty map when the file is missing or made for another model.</summary>
    public static IReadOnlyDictionary<string, float[]> Read(string path, string model)
    {
        if (!File.Exists(path))
        {
            return new Dictionary<string, float[]>();
        }

        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (reader.ReadString() != Magic || reader.ReadString() != model)
        {
            return new Dictionary<string, float[]>();
        }

        var count = reader.ReadInt32();
        var dimensions = reader.ReadInt32();
        var map = new Dictionary<string, float[]>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var hash = Convert.ToHexStringLower(reader.ReadBytes(32));
            var vector = new float[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] = reader.ReadSingle();
            }

            map[hash] = vector;
        }

        return map;
    }
}
