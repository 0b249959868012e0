using Portal.Core.Assistant;
using Portal.Inference.Assistant;

namespace Portal.Training;

/// <summary>Embeds every passage of the course chapters with the product's own embedder and writes <c>passages.vectors</c>.</summary>
public static class CourseVectors
{
    public static async Task<int> WriteAsync(string folder, TextWriter log)
    {
        using var embedder = new MiniLmEmbedder();
        var passages = Directory.GetFiles(folder, "chapter-*.md").Order(StringComparer.Ordinal)
            .SelectMany(f => PassageSplitter.Split(File.ReadAllText(f)))
            .Select(p => p.ForEmbedding).Distinct(StringComparer.Ordinal).ToList();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var vectors = await embedder.EmbedAsync(passages);
        var path = Path.Combine(folder, "passages.vectors");
        await PassageVectors.WriteAsync(path, embedder.ModelId, [.. passages.Zip(vectors)]);
        log.WriteLine($"Embedded {passages.Count} passages in {started.Elapsed.TotalSeconds:0.0} s → {path}");
        return passages.Count;
    }
}
