using System.Text.Json;
using Portal.Core.Templates;

namespace Portal.Core.Tests.Templates;

/// <summary>The repository's own template packs, for tests that need a real schema.</summary>
internal static class TemplatePacks
{
    public static TemplateManifest Manifest(string id)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, "src", "Portal.Templates", id, "template.json");
            if (File.Exists(file))
            {
                return JsonSerializer.Deserialize<TemplateManifest>(File.ReadAllText(file), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            }
        }

        throw new DirectoryNotFoundException("The repository root was not found.");
    }
}
