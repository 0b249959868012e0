namespace Portal.Inference.Tests.Templates;

public sealed class TemplateCatalogTests
{
    [Fact]
    public void Loads_the_shipped_packs_tabular_ones_with_their_models()
    {
        using var catalog = Packs.Catalog();
        Assert.Equal(
            ["education-assistant", "education-student-performance", "finance-credit-risk", "finance-loan-copilot", "medical-breast-cancer", "medical-diabetes-progression", "medical-note-summary"],
            catalog.All.Select(p => p.Id).Order(StringComparer.Ordinal));
        var assistant = catalog.Find("education-assistant")!;
        Assert.Equal(("tutor", null), (assistant.Manifest.Assistant!.Mode, catalog.Model(assistant.Id)));
        Assert.True(File.Exists(Path.Combine(assistant.Folder, assistant.Manifest.Assistant.Prompt)));
        Assert.All(catalog.All.Where(p => Portal.Core.Templates.TemplateKinds.IsTabular(p.Manifest.Kind)), p =>
        {
            Assert.NotNull(catalog.Model(p.Id));
            Assert.NotNull(p.Card);
            Assert.Equal(p.Manifest.ModelVersion, p.Card!.ModelVersion);
            Assert.All(p.Manifest.Inputs, i => Assert.True(p.SampleRow.ContainsKey(i.Name), $"{p.Id}: sample lacks {i.Name}"));
        });
    }

    [Fact]
    public void A_broken_pack_is_refused_and_the_others_still_load()
    {
        var folder = Directory.CreateTempSubdirectory("portal-packs-").FullName;
        try
        {
            foreach (var id in new[] { "finance-credit-risk", "medical-breast-cancer" })
            {
                CopyPack(id, Path.Combine(folder, id));
            }

            // No model; invalid JSON; an unknown industry; a duplicate id.
            CopyPack("medical-diabetes-progression", Path.Combine(folder, "no-model"));
            File.Delete(Path.Combine(folder, "no-model", "model.onnx"));
            Directory.CreateDirectory(Path.Combine(folder, "bad-json"));
            File.WriteAllText(Path.Combine(folder, "bad-json", "template.json"), "{ not json");
            CopyPack("education-student-performance", Path.Combine(folder, "wrong-industry"));
            var manifest = Path.Combine(folder, "wrong-industry", "template.json");
            File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"industry\": \"education\"", "\"industry\": \"astrology\"", StringComparison.Ordinal));
            CopyPack("finance-credit-risk", Path.Combine(folder, "zz-duplicate"));

            using var catalog = Packs.Catalog(folder);
            Assert.Equal(["finance-credit-risk", "medical-breast-cancer"], catalog.All.Select(p => p.Id).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void CopyPack(string id, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Packs.Folder(), id)))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
