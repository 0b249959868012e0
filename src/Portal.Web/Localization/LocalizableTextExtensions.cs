using Microsoft.Extensions.Localization;
using Portal.Core;
using Portal.Core.Templates;

namespace Portal.Web.Localization;

public static class LocalizableTextExtensions
{
    /// <summary>The message in the reader's language (its format is the key of its translation); in English when there is none.</summary>
    public static string In(this LocalizableText text, IStringLocalizer L) =>
        text.Args.Length == 0 ? L[text.Format] : L[text.Format, [.. text.Args.Select(a => a switch
        {
            LocalizableText inner => inner.In(L),
            LocalizedText t => t.Current,
            _ => a,
        })]];
}
