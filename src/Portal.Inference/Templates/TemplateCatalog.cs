using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Templates;

namespace Portal.Inference.Templates;

/// <summary>
/// Loads every pack under <see cref="TemplateOptions.Path"/> once: manifest, model card and (for tabular kinds) the ONNX
/// session. A pack that fails any check is refused with a log line naming the file and the problem; the rest load.
/// </summary>
public sealed partial class TemplateCatalog : ITemplateCatalog, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, TemplatePack> _packs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TabularModel> _models = new(StringComparer.OrdinalIgnoreCase);

    public TemplateCatalog(IOptions<TemplateOptions> options, PortalPaths paths, ILogger<TemplateCatalog> logger)
    {
        Folder = options.Value.Path is { Length: > 0 } p ? paths.Resolve(p) : System.IO.Path.Combine(AppContext.BaseDirectory, "templates");
        if (!Directory.Exists(Folder))
        {
            LogNoFolder(logger, Folder);
            return;
        }

        foreach (var folder in Directory.EnumerateDirectories(Folder).Order(StringComparer.Ordinal))
        {
            try
            {
                var (pack, model) = Load(folder);
                if (_packs.ContainsKey(pack.Id))
                {
                    model?.Dispose();
                    throw new InvalidDataException($"template.json: id '{pack.Id}' is already used by another pack.");
                }

                _packs[pack.Id] = pack;
                if (model is not null)
                {
                    _models[pack.Id] = model;
                }
            }
            catch (Exception e) when (e is InvalidDataException or JsonException or IOException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                LogRefused(logger, folder, e.Message);
            }
        }

        All = [.. _packs.Values.OrderBy(p => p.Manifest.Industry, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)];
        LogLoaded(logger, _packs.Count, Folder);
    }

    public string Folder { get; }

    /// <summary>The loaded packs by industry, then id (fixed after start-up).</summary>
    public IReadOnlyList<TemplatePack> All { get; } = [];

    public TemplatePack? Find(string id) => _packs.GetValueOrDefault(id);

    /// <summary>The loaded model of a tabular template, or null.</summary>
    public TabularModel? Model(string id) => _models.GetValueOrDefault(id);

    private static (TemplatePack Pack, TabularModel? Model) Load(string folder)
    {
        var manifestPath = System.IO.Path.Combine(folder, "template.json");
        if (!File.Exists(manifestPath))
        {
            throw new InvalidDataException("template.json is missing.");
        }

        var manifest = JsonSerializer.Deserialize<TemplateManifest>(File.ReadAllText(manifestPath), Json)
            ?? throw new InvalidDataException("template.json is empty.");
        Check(manifest);
        var cardPath = System.IO.Path.Combine(folder, "model-card.json");
        var card = File.Exists(cardPath) ? JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(cardPath), Json) : null;
        var pack = new TemplatePack(manifest, card, folder);
        if (!TemplateKinds.IsTabular(manifest.Kind))
        {
            return (pack, null);
        }

        if (!File.Exists(pack.ModelPath))
        {
            throw new InvalidDataException("model.onnx is missing.");
        }

        if (card is null)
        {
            throw new InvalidDataException("model-card.json is missing.");
        }

        if (!File.Exists(pack.SamplePath))
        {
            throw new InvalidDataException("sample.csv is missing.");
        }

        var lines = File.ReadLines(pack.SamplePath).Take(2).ToList();
        if (lines.Count < 2)
        {
            throw new InvalidDataException("sample.csv needs a header and at least one row.");
        }

        var sampleRow = lines[0].Split(',').Zip(lines[1].Split(',')).ToDictionary(p => p.First.Trim(), p => p.Second.Trim());
        return (pack with { SampleRow = sampleRow }, new TabularModel(pack.ModelPath, manifest));
    }

    private static void Check(TemplateManifest m)
    {
        if (!IdPattern().IsMatch(m.Id))
        {
            throw new InvalidDataException($"template.json: id '{m.Id}' must be lower-case letters, digits and hyphens.");
        }

        if (m.Industry is not ("medical" or "finance" or "education"))
        {
            throw new InvalidDataException($"template.json: industry '{m.Industry}' must be medical, finance or education.");
        }

        if (!TemplateKinds.IsTabular(m.Kind) && m.Kind != TemplateKinds.Assistant)
        {
            throw new InvalidDataException($"template.json: kind '{m.Kind}' is not known.");
        }

        if (m.Kind == TemplateKinds.Assistant && m.Assistant is null)
        {
            throw new InvalidDataException("template.json: an assistant template needs an 'assistant' section.");
        }

        if (m.Assistant is { } a && !Portal.Core.Assistant.AssistantModes.All.Contains(a.Mode))
        {
            throw new InvalidDataException($"template.json: assistant mode '{a.Mode}' is not one of {string.Join(", ", Portal.Core.Assistant.AssistantModes.All)}.");
        }

        if (m.Assistant is { Mode: Portal.Core.Assistant.AssistantModes.LoanCopilot, UsesTemplate: null or "" })
        {
            throw new InvalidDataException("template.json: the loan copilot needs 'usesTemplate' (the credit-risk template it calls).");
        }

        if (TemplateKinds.IsTabular(m.Kind) && (m.Inputs is null || m.Inputs.Count == 0))
        {
            throw new InvalidDataException("template.json: a tabular template needs inputs.");
        }

        foreach (var input in m.Inputs ?? [])
        {
            if (input.Type == InputType.Category && (input.Categories is null || input.Categories.Count == 0))
            {
                throw new InvalidDataException($"template.json: input '{input.Name}' is a category without categories.");
            }

            if (input.Min is { } min && input.Max is { } max && min > max)
            {
                throw new InvalidDataException($"template.json: input '{input.Name}' has min {min} above max {max}.");
            }
        }

        if (m.IsClassification && (m.Output.PositiveLabel is null || m.Output.NegativeLabel is null))
        {
            throw new InvalidDataException("template.json: a classification template needs output.positiveLabel and output.negativeLabel.");
        }
    }

    public void Dispose()
    {
        foreach (var model in _models.Values)
        {
            model.Dispose();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial System.Text.RegularExpressions.Regex IdPattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "No template packs: the folder {Folder} does not exist (Portal:Templates:Path)")]
    private static partial void LogNoFolder(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Error, Message = "Template pack {Folder} refused: {Problem}")]
    private static partial void LogRefused(ILogger logger, string folder, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} template packs from {Folder}")]
    private static partial void LogLoaded(ILogger logger, int count, string folder);
}
