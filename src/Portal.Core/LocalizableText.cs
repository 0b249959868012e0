using System.Globalization;
using Portal.Core.Templates;

namespace Portal.Core;

/// <summary>
/// A message for people as an English composite format and its arguments. <see cref="ToString"/> is the English text
/// (the API, logs and downloaded files use it); a page looks the format up among its translations and formats the
/// arguments in the reader's culture, so the same message reads in English or Chinese. An argument that is itself a
/// <see cref="LocalizableText"/> or a <see cref="LocalizedText"/> (a template's unit, say) reads in the same language as
/// the message.
/// </summary>
public sealed record LocalizableText(string Format, params object[] Args)
{
    /// <summary>The English text (a format without arguments is the text itself, braces and all).</summary>
    public override string ToString() =>
        Args.Length == 0 ? Format : string.Format(CultureInfo.InvariantCulture, Format, [.. Args.Select(a => a is LocalizedText t ? t.En : a)]);

    /// <summary>Several messages as one, separated by spaces, each once (the message itself when there is one).</summary>
    public static LocalizableText Join(IEnumerable<LocalizableText> texts)
    {
        LocalizableText[] distinct = [.. texts.DistinctBy(t => t.ToString())];
        return distinct.Length == 1
            ? distinct[0]
            : new LocalizableText(string.Join(" ", Enumerable.Range(0, distinct.Length).Select(i => $"{{{i}}}")), [.. distinct]);
    }
}

/// <summary>
/// A refusal a person can act on, as a <see cref="LocalizableText"/>: <see cref="Exception.Message"/> is the English text
/// (the API shows it), pages show <see cref="Text"/> in the reader's language.
/// </summary>
public abstract class LocalizableException(LocalizableText text, Exception? inner = null) : Exception(text.ToString(), inner)
{
    public LocalizableText Text { get; } = text;
}
