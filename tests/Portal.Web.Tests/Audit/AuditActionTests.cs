using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Portal.Core.Audit;
using Portal.Web.Localization;

namespace Portal.Web.Tests.Audit;

/// <summary>Audit actions have one list of codes, and each reads as words in English and Chinese on the audit page.</summary>
public sealed partial class AuditActionTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private static string Sources([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "src"));

    [Fact]
    public void Every_action_the_portal_records_is_one_of_the_listed_codes()
    {
        var written = Directory.EnumerateFiles(Sources(), "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != "AuditActions.cs")
            .SelectMany(f => CodeLiteral().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}"))
            .ToList();
        Assert.True(written.Count == 0, "Audit codes written as literals instead of AuditActions:\n" + string.Join("\n", written));
        Assert.True(AuditActions.All.Count >= 30);
        Assert.Equal(AuditActions.All.Count, AuditActions.All.Distinct().Count());
    }

    [Theory]
    [InlineData("zh-CN")]
    [InlineData("en")]
    public void Every_action_reads_as_words_in_the_pages_language(string culture)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            var L = factory.Services.GetRequiredService<IStringLocalizer<SharedResource>>();
            var labels = AuditActions.All.ToDictionary(a => a, a => L.Action(a));
            Assert.All(labels, p => Assert.NotEqual(p.Key, p.Value));
            Assert.Equal(labels.Count, labels.Values.Distinct().Count());
            Assert.All(labels.Values, label => Assert.Equal(culture == "zh-CN", label.Any(c => c is >= '\u4e00' and <= '\u9fff')));
            Assert.Equal(culture == "zh-CN" ? "登录成功" : "Signed in", L.Action(AuditActions.SignInSucceeded));
            Assert.Equal("legacy.action", L.Action("legacy.action"));
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }

    [GeneratedRegex(@"""(?:2fa|account|apikey|assistant|dataset|knowledge|member|quota|run|signin|templates|tenant)\.[a-z_.-]+""")]
    private static partial Regex CodeLiteral();
}
