using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Portal.Core.Assistant;

namespace Portal.Inference.Assistant;

/// <summary>
/// The built-in engine, which needs no model server: it retrieves the organisation's passages closest to the question
/// (sentence embeddings), picks their sentences that best match it, and answers with those sentences quoted and cited.
/// When nothing in the material is close enough it says so instead of guessing. It never invents text. Its own words
/// (not the quotes) are in the asker's language, English or Chinese (<see cref="AnswerLanguage"/>).
/// </summary>
public sealed partial class LocalAssistantEngine(KnowledgeService knowledge, ITextEmbedder embedder, LoanCopilot copilot, NoteSummarizer summarizer) : IAssistantEngine
{
    /// <summary>Below this similarity a passage is not considered to be about the question (measured: off-topic questions score under 0.2 on the course, on-topic ones above 0.5).</summary>
    public const double RelevanceThreshold = 0.35;

    public string Name => "local-retrieval";

    public bool IsGenerative => false;

    public async IAsyncEnumerable<AnswerEvent> AnswerAsync(AnswerContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var spec = context.Pack.Manifest.Assistant!;
        var chinese = AnswerLanguage.Chinese(context.Question);
        if (spec.Mode != AssistantModes.Tutor)
        {
            var composed = spec.Mode == AssistantModes.LoanCopilot
                ? await CopilotAsync(spec.UsesTemplate!, context.Question, chinese, cancellationToken)
                : await summarizer.SummariseAsync(context.Question, chinese, cancellationToken);
            foreach (var piece in Pieces().Matches(composed).Select(m => m.Value))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new AnswerDelta(piece);
            }

            yield return new AnswerCitations([]);
            yield return new AnswerCompleted(Name, new AssistantUsage(embedder.CountTokens(context.Question), embedder.CountTokens(composed)), Guid.Empty, 0, false);
            yield break;
        }

        // The question is embedded once: for the search and for ranking the candidate sentences.
        var question = (await embedder.EmbedAsync([context.Question], cancellationToken))[0];
        var hits = await knowledge.SearchAsync(question, 6, cancellationToken);
        var relevant = Relevant(hits, 3);
        var prompt = embedder.CountTokens(context.Question) + hits.Sum(h => embedder.CountTokens(h.Text));
        var text = new StringBuilder();
        var citations = new List<Citation>();

        if (context.RefuseGradedWork && LooksLikeGradedWork(context.Question))
        {
            text.Append(chinese
                ? "我不能替你完成要评分的作业——老师要求我不要这样做。我可以帮你理解其中的概念：问我某个概念，或者你遇到的错误。"
                : "I can't do graded work for you — your teacher has asked me not to. I can help you understand the ideas instead: ask me about a concept, or about an error you are seeing.");
            if (relevant.Count > 0)
            {
                text.Append(chinese ? "\n\n课程资料中的这些部分是很好的起点：" : "\n\nThese parts of the course material are a good place to start:");
                foreach (var (hit, i) in relevant.Select((h, i) => (h, i + 1)))
                {
                    text.Append($"\n- {hit.Heading} [{i}]");
                    citations.Add(Cite(hit, i));
                }
            }
        }
        else if (relevant.Count == 0)
        {
            text.Append(NotInMaterial(chinese));
            var near = hits.Where(h => h.Score >= 0.2).Select(h => h.Heading).Distinct().Take(3).ToList();
            if (near.Count > 0)
            {
                text.Append(chinese ? "\n\n最接近的章节：" : "\n\nThe closest sections are: ").Append(string.Join(chinese ? "；" : "; ", near)).Append(chinese ? '。' : '.');
            }
        }
        else
        {
            var quotes = await BestSentencesAsync(question, relevant, cancellationToken);
            text.Append(chinese ? "摘自您的课程资料（原文）：\n" : "From your course material:\n");
            foreach (var group in quotes.GroupBy(q => q.Passage))
            {
                var number = citations.Count + 1;
                citations.Add(Cite(relevant[group.Key], number));
                text.Append("\n> ").Append(string.Join(" ", group.OrderBy(q => q.Position).Select(q => q.Sentence))).Append($" [{number}]\n");
            }
        }

        // The text is complete before the first piece is sent; it is still sent word by word, like a generative engine's.
        foreach (var piece in Pieces().Matches(text.ToString()).Select(m => m.Value))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new AnswerDelta(piece);
        }

        yield return new AnswerCitations(citations);
        yield return new AnswerCompleted(Name, new AssistantUsage(prompt, embedder.CountTokens(text.ToString())), Guid.Empty, 0, false);
    }

    /// <summary>The loan copilot without a generative model: the memo is composed from the model's score and explanation.</summary>
    private async Task<string> CopilotAsync(string scoring, string message, bool chinese, CancellationToken cancellationToken)
    {
        var (row, missing) = copilot.Read(scoring, message);
        if (missing.Count > 0)
        {
            return LoanCopilot.Incomplete(missing, [], copilot.Manifest(scoring), chinese);
        }

        var (review, errors) = await copilot.ReviewAsync(scoring, row, cancellationToken);
        return review is null ? LoanCopilot.Incomplete([], errors, copilot.Manifest(scoring), chinese) : LoanCopilot.Memo(review, scoring, chinese);
    }

    /// <summary>The hits worth answering from: above the threshold and close to the best one, at most <paramref name="max"/>.</summary>
    public static List<PassageHit> Relevant(IReadOnlyList<PassageHit> hits, int max) =>
        hits.Count == 0 ? [] : [.. hits.Where(h => h.Score >= RelevanceThreshold && h.Score >= hits[0].Score - 0.12).Take(max)];

    /// <summary>What the engines say when the material does not cover a question, in the asker's language.</summary>
    public static string NotInMaterial(bool chinese) => chinese
        ? "我在课程资料中没有找到相关内容，所以不会猜测。请就课程涵盖的主题提问，或者请教老师。内置引擎对英文问题检索效果最好，也可以试着用英文提问。"
        : "I could not find this in your course material, so I won't guess. Try asking about a topic the course covers, or ask your teacher.";

    /// <summary>Up to three sentences of the relevant passages most similar to the question (at least the best one).</summary>
    private async Task<List<(int Passage, int Position, string Sentence)>> BestSentencesAsync(float[] question, List<PassageHit> relevant, CancellationToken cancellationToken)
    {
        var sentences = relevant.SelectMany((h, p) => PassageSplitter.Sentences(h.Text).Select((s, i) => (Passage: p, Position: i, Sentence: s))).ToList();
        var vectors = await embedder.EmbedAsync([.. sentences.Select(s => s.Sentence)], cancellationToken);
        var scored = sentences.Select((s, i) => (s, Score: Vectors.Dot(question, vectors[i]))).OrderByDescending(x => x.Score).ToList();
        var best = scored[0].Score;
        return [.. scored.Where((x, i) => i == 0 || (x.Score >= 0.3 && x.Score >= best - 0.15)).Take(3).Select(x => x.s)];
    }

    private static Citation Cite(PassageHit hit, int number) =>
        new(number, hit.DocumentId, hit.Document, hit.Heading, hit.Text, hit.Score, hit.Attribution);

    /// <summary>Requests to produce graded work rather than to understand it.</summary>
    public static bool LooksLikeGradedWork(string question) => GradedWork().IsMatch(question);

    [GeneratedRegex(@"\b(do|write|solve|finish|complete|answer)\b.{0,40}\b(my|the|this)\b.{0,30}\b(homework|assignment|exercise|exam|test|quiz|coursework|project)\b|\b(homework|assignment|exam|quiz)\b.{0,30}\b(answers?|solutions?)\b", RegexOptions.IgnoreCase)]
    private static partial Regex GradedWork();

    [GeneratedRegex(@"\S+\s*|\s+")]
    private static partial Regex Pieces();
}
