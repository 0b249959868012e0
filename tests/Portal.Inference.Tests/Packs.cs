using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Inference.Tests;

/// <summary>The committed packs in src/Portal.Templates, and helpers to read their CSV files.</summary>
internal static class Packs
{
    public static readonly string[] Ids = ["education-student-performance", "finance-credit-risk", "medical-breast-cancer", "medical-diabetes-progression"];

    private static readonly string PacksFolder = Locate();

    public static string Folder() => PacksFolder;

    private static string Locate([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "src", "Portal.Templates"));

    public static TemplateCatalog Catalog(string? folder = null) =>
        new(Options.Create(new TemplateOptions { Path = folder ?? Folder() }), new PortalPaths(Folder()), NullLogger<TemplateCatalog>.Instance);

    public static (IReadOnlyList<string> Header, List<Dictionary<string, string>> Rows) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        return (header, [.. lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))]);
    }

    public static TabularBatch Batch(TemplateManifest manifest, IEnumerable<IReadOnlyDictionary<string, string>> rows)
    {
        var result = TabularValidator.Validate(manifest, [.. rows.Select(r => (IReadOnlyDictionary<string, object?>)r.ToDictionary(p => p.Key, p => (object?)p.Value))]);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Take(3)));
        return result.Batch;
    }

    public static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    public static ModelCard CommittedCard(string id) =>
        JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(Path.Combine(Folder(), id, "model-card.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
}
