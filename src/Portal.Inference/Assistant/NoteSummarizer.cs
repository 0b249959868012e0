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

    public const string DisclaimerInChinese = "本摘要不是医疗建议，不能代替临床医生的判断；请对照完整记录核对。";

    /// <param name="chinese">Whether the summary's own words are Chinese (the quotes are the note's).</param>
    public async Task<string> SummariseAsync(string note, bool chinese, CancellationToken cancellationToken)
    {
        var sentences = note.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(PassageSplitter.Sentences)
            .Where(IsSentence)
            .ToList();
        if (sentences.Count == 0)
        {
            return chinese ? "请粘贴要摘要的临床记录（至少几句话）。" : "Paste the clinical note to summarise (a few sentences at least).";
        }

        var chosen = sentences.Count <= 3 ? Enumerable.Range(0, sentences.Count).ToList() : await CentralAsync(sentences, cancellationToken);
        var text = new StringBuilder(chinese ? "要点（记录中最核心的句子，原文引用）：\n" : "Key findings (the note's most central sentences, quoted):\n");
        foreach (var i in chosen)
        {
            text.Append("- ").Append(sentences[i]).Append('\n');
        }

        text.Append(chinese
            ? "\n面向患者的通俗版本：不可用——未配置生成式模型，因此门户只从记录中挑选句子，不会改写。\n\n"
            : "\nPlain-language version for the patient: not available — no generative model is configured, so the portal selects sentences from the note and does not rewrite them.\n\n");
        text.Append(chinese ? DisclaimerInChinese : Disclaimer);
        return text.ToString();
    }

    /// <summary>Three words or more, or six Chinese characters or more (Chinese has no spaces between words).</summary>
    private static bool IsSentence(string s) =>
        s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 3 || s.Count(AnswerLanguage.IsChineseCharacter) >= 6;

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
