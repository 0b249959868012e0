namespace Portal.Core.Templates;

/// <summary>A loaded template pack: its manifest, model card and files.</summary>
public sealed record TemplatePack(TemplateManifest Manifest, ModelCard? Card, string Folder)
{
    /// <summary>The sample file's first row (column → cell), read once when the pack loads; pre-fills the try-it form.</summary>
    public IReadOnlyDictionary<string, string> SampleRow { get; init; } = new Dictionary<string, string>();

    public string Id => Manifest.Id;

    public string SamplePath => Path.Combine(Folder, "sample.csv");

    public string ModelPath => Path.Combine(Folder, "model.onnx");
}

/// <summary>The single source of template metadata: the packs that loaded at start-up.</summary>
public interface ITemplateCatalog
{
    IReadOnlyList<TemplatePack> All { get; }

    TemplatePack? Find(string id);
}

/// <summary><c>Portal:Templates</c>.</summary>
public sealed class TemplateOptions
{
    public const string Section = "Portal:Templates";

    /// <summary>Folder of template packs; relative paths are resolved against the content root. Default: the packs shipped with the app.</summary>
    public string? Path { get; set; }
}
