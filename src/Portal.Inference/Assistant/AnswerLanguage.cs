using System.Globalization;

namespace Portal.Inference.Assistant;

/// <summary>
/// The language of the built-in engine's own words (the quotes are the material's): Chinese when the question is
/// written in Chinese or the caller reads the portal in Chinese (the page's or the API request's culture), otherwise
/// English — as a language model would answer in the asker's language.
/// </summary>
public static class AnswerLanguage
{
    public static bool Chinese(string question) =>
        HasChinese(question) || CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    /// <summary>The text has a CJK ideograph.</summary>
    public static bool HasChinese(string text) => text.Any(IsChineseCharacter);

    /// <summary>A CJK unified ideograph.</summary>
    public static bool IsChineseCharacter(char c) => c is >= '\u4e00' and <= '\u9fff';
}
