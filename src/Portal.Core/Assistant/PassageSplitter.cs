using System.Text;
using System.Text.RegularExpressions;

namespace Portal.Core.Assistant;

/// <summary>A passage before embedding: its headings and text.</summary>
public sealed record PassageText(string Heading, string Text)
{
    /// <summary>What is embedded: the text with its nearest headings, which often name the topic the text leaves implicit.</summary>
    public string ForEmbedding => Heading.Length == 0 ? Text : Heading + ": " + Text;
}

/// <summary>
/// Splits a document into passages of about a paragraph: headings (Markdown <c>#</c>) are tracked and not passages of
/// their own; paragraphs under 25 words join the next one; paragraphs over 180 words are cut at sentence ends.
/// Citations then point at a paragraph a reader can check at a glance.
/// </summary>
public static partial class PassageSplitter
{
    public const int MinWords = 25;
    public const int MaxWords = 180;

    public static IReadOnlyList<PassageText> Split(string text)
    {
        var passages = new List<PassageText>();
        var headings = new string[6];
        var paragraph = new List<string>();

        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.Trim();
            var heading = Heading().Match(line);
            if (heading.Success)
            {
                Flush(force: true);
                var level = heading.Groups[1].Length;
                headings[level - 1] = heading.Groups[2].Value.Trim();
                for (var i = level; i < headings.Length; i++)
                {
                    headings[i] = string.Empty;
                }

                continue;
            }

            if (line.Length == 0)
            {
                Flush(force: false);
                continue;
            }

            paragraph.Add(line);
        }

        Flush(force: true);
        return passages;

        void Flush(bool force)
        {
            var words = paragraph.Sum(WordCount);
            if (paragraph.Count == 0 || (!force && words < MinWords))
            {
                return;
            }

            var context = string.Join(" › ", headings.Where(h => !string.IsNullOrEmpty(h)));
            foreach (var piece in Cut(string.Join(" ", paragraph)))
            {
                passages.Add(new PassageText(context, piece));
            }

            paragraph.Clear();
        }
    }

    /// <summary>The sentences of a passage (for quoting the best-supported ones).</summary>
    public static IReadOnlyList<string> Sentences(string text) =>
        [.. SentenceEnd().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0)];

    private static IEnumerable<string> Cut(string paragraph)
    {
        if (WordCount(paragraph) <= MaxWords)
        {
            yield return paragraph;
            yield break;
        }

        var current = new StringBuilder();
        var words = 0;
        foreach (var sentence in Sentences(paragraph))
        {
            var n = WordCount(sentence);
            if (words > 0 && words + n > MaxWords)
            {
                yield return current.ToString();
                current.Clear();
                words = 0;
            }

            current.Append(current.Length > 0 ? " " : string.Empty).Append(sentence);
            words += n;
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private static int WordCount(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    [GeneratedRegex(@"^(#{1,6})\s+(.+)$")]
    private static partial Regex Heading();

    // A sentence ends at . ! ? followed by a space and an upper-case letter, a digit, a quote or a backtick, or at
    // Chinese 。！？ (no space follows them).
    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z0-9""'`(])|(?<=[。！？])\s*(?=\S)")]
    private static partial Regex SentenceEnd();
}
