using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Portal.Core.Templates;
using Portal.Web.Components.Pages.Templates;

namespace Portal.Web.Tests.Templates;

/// <summary>A model card's own words (how its figures were obtained, its reference points) read in the page's language.</summary>
public sealed class ModelCardViewTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static string Pack(string id, [CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "src", "Portal.Templates", id));

    [Theory]
    [InlineData("zh-CN", "始终预测多数类（良好）。", "用于训练的 800 行按 80/20 划分（随机种子 42，按类别分层）", "SdcaLogistic（ML.NET 5.0.1 → ONNX (Microsoft.ML.OnnxConverter 0.23.1)），随机种子 42", "Always predict")]
    [InlineData("en", "Always predict the majority class (good).", "The 800 rows shared for training were split 80/20 with seed 42, stratified by class", "SdcaLogistic (ML.NET 5.0.1 → ONNX (Microsoft.ML.OnnxConverter 0.23.1)), seed 42", "始终")]
    public async Task The_cards_words_read_in_the_pages_language(string culture, string comparison, string howObtained, string learner, string otherLanguage)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
        try
        {
            await using var ctx = new BunitContext();
            ctx.JSInterop.Mode = JSRuntimeMode.Loose;
            ctx.Services.AddMudServices();
            ctx.Services.AddLocalization(o => o.ResourcesPath = "Resources");
            var manifest = JsonSerializer.Deserialize<TemplateManifest>(await File.ReadAllTextAsync(Path.Combine(Pack("finance-credit-risk"), "template.json")), Json)!;
            var card = JsonSerializer.Deserialize<ModelCard>(await File.ReadAllTextAsync(Path.Combine(Pack("finance-credit-risk"), "model-card.json")), Json)!;

            var text = ctx.Render<ModelCardView>(p => p.Add(v => v.Manifest, manifest).Add(v => v.Card, card)).Markup;

            Assert.Contains(comparison, text, StringComparison.Ordinal);
            Assert.Contains(howObtained, text, StringComparison.Ordinal);
            Assert.Contains(learner, text, StringComparison.Ordinal);
            Assert.DoesNotContain(otherLanguage, text, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }
}
