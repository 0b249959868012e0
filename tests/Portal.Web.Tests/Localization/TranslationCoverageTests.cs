using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Portal.Core;

namespace Portal.Web.Tests.Localization;

/// <summary>
/// Every UI string the pages ask for has a Simplified Chinese translation, and no translation is orphaned. The pages'
/// strings are their <c>L["…"]</c> keys; the core's messages that pages show translated are the formats of its
/// <c>LocalizableText</c>s and of every <c>LocalizableException</c> (file problems, cell errors, refused runs, invalid
/// limits, members, organisations, documents, questions).
/// </summary>
public sealed partial class TranslationCoverageTests
{
    private static string Project(string name, [CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "src", name));

    private static string WebProject() => Project("Portal.Web");

    private static HashSet<string> KeysUsedInUi() =>
        [.. Sources(WebProject()).SelectMany(f => LocalizerKey().Matches(File.ReadAllText(f)).Select(m => Regex.Unescape(m.Groups[1].Value))),
            .. CoreMessages()];

    private static HashSet<string> CoreMessages()
    {
        var makers = typeof(LocalizableException).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LocalizableException))).Select(t => t.Name)
            .Append(nameof(LocalizableText));
        var message = new Regex($@"(?:{string.Join('|', makers)})\(\s*""((?:[^""\\]|\\.)*)""");
        return [.. Sources(Project("Portal.Core")).Concat(Sources(Project("Portal.Inference")))
            .SelectMany(f => message.Matches(File.ReadAllText(f)).Select(m => Regex.Unescape(m.Groups[1].Value)))];
    }

    private static IEnumerable<string> Sources(string project) =>
        Directory.EnumerateFiles(project, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static Dictionary<string, string> Translations() =>
        XDocument.Load(Path.Combine(WebProject(), "Resources", "Localization", "SharedResource.zh-CN.resx"))
            .Root!.Elements("data").ToDictionary(d => d.Attribute("name")!.Value, d => d.Element("value")!.Value);

    [Fact]
    public void Every_ui_string_has_a_chinese_translation()
    {
        var translations = Translations();
        var missing = KeysUsedInUi().Where(k => !translations.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Missing zh-CN translations:\n" + string.Join("\n", missing));
        Assert.True(KeysUsedInUi().Count > 100);
        Assert.True(CoreMessages().Count > 60, $"only {CoreMessages().Count} core messages found");
    }

    [Fact]
    public void Translations_keep_their_placeholders_and_are_not_left_in_english()
    {
        foreach (var (key, value) in Translations())
        {
            Assert.Equal(Placeholder().Matches(key).Select(m => m.Value).Order(), Placeholder().Matches(value).Select(m => m.Value).Order());
            if (key.Any(char.IsLetter) && key.Length > 3)
            {
                Assert.True(value.Any(c => c >= '\u4e00' && c <= '\u9fff'), $"'{key}' is not translated: '{value}'");
            }
        }
    }

    [Fact]
    public void No_translation_is_orphaned()
    {
        var used = KeysUsedInUi();
        var orphans = Translations().Keys.Where(k => !used.Contains(k)).ToList();
        Assert.True(orphans.Count == 0, "Unused zh-CN entries:\n" + string.Join("\n", orphans));
    }

    [GeneratedRegex("""L\["((?:[^"\\]|\\.)*)"[\],]""")]
    private static partial Regex LocalizerKey();

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex Placeholder();
}
