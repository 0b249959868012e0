using System.Text;
using Portal.Core.Assistant;

namespace Portal.Inference.Assistant;

/// <summary>
/// Extractive summary of a clinical note for the local engine: the note's sentences are embedded and the most central
/// ones (closest to the note's mean vector) are quoted in their original order. It selects, it never rewrites.
/// </summary>
public sealed class NoteSummarizer(ITextEmbedder embedder)
{
    public const string Disclaimer = "This summary is not medical advice and does not replace the clinician's judgement; check it against the full note.";

    public async Task<string> SummariseAsync(string note, CancellationToken cancellationToken)
    {
        var sentences = note.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(PassageSplitter.Sentences)
            .Where(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 3)
            .ToList();
        if (sentences.Count == 0)
        {
            return "Paste the clinical note to summarise (a few sentences at least).";
        }

        var chosen = sentences.Count <= 3 ? Enumerable.Range(0, sentences.Count).ToList() : await CentralAsync(sentences, cancellationToken);
        var text = new StringBuilder("Key findings (the note's most central sentences, quoted):\n");
        foreach (var i in chosen)
        {
            text.Append("- ").Append(sentences[i]).Append('\n');
        }

        text.Append("\nPlain-language version for the patient: not available — no generative model is configured, so the portal selects sentences from the note and does not rewrite them.\n\n");
        text.Append(Disclaimer);
        return text.ToString();
    }

    private async Task<List<int>> CentralAsync(List<string> sentences, CancellationToken cancellationToken)
    {
        var vectors = await embedder.EmbedAsync(sentences, cancellationToken);
        var mean = new float[vectors[0].Length];
        foreach (var v in vectors)
        {
            for (var d = 0; d < mean.Length; d++)
            {
                mean[d] += v[d] / vectors.Length;
            }
        }

        var take = Math.Clamp((int)Math.Round(sentences.Count * 0.3), 2, 5);
        return [.. Enumerable.Range(0, sentences.Count).OrderByDescending(i => Vectors.Dot(vectors[i], mean)).Take(take).Order()];
    }
}
