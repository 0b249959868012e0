using Microsoft.Extensions.Caching.Memory;
using Portal.Core.Templates;

namespace Portal.Core.Datasets;

/// <summary>
/// The reports of recent checks of a dataset against a template, so that starting a run right after its report was
/// shown (in the browser, or <c>POST /api/v1/datasets/{id}/validation</c> then <c>POST /api/v1/runs</c>) does not read
/// and check the whole file a second time: a 1,000,000-row file took 0.8 s more on every start. A dataset's file never
/// changes after upload, so a report stays true for the same file, template model and column mapping; entries only go
/// to bound the memory (least recently used first, and after an hour unused). Per process: another node checks again.
/// </summary>
/// <remarks>
/// Keyed by dataset id, which callers resolve through the tenant-scoped datasets first: a report is only ever looked
/// up for a dataset the caller may see.
/// </remarks>
public sealed class ValidationReportCache : IDisposable
{
    /// <summary>What the cache may hold, counted as one per report plus one per error listed in it.</summary>
    private const long Capacity = 200_000;

    private readonly MemoryCache _reports = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public bool TryGet(Guid datasetId, TemplateManifest manifest, IReadOnlyDictionary<string, string>? mapping, out ValidationReport report) =>
        _reports.TryGetValue(Key(datasetId, manifest, mapping), out report!);

    public void Set(Guid datasetId, TemplateManifest manifest, IReadOnlyDictionary<string, string>? mapping, ValidationReport report) =>
        _reports.Set(Key(datasetId, manifest, mapping), report, new MemoryCacheEntryOptions
        {
            Size = 1 + report.Errors.Count,
            SlidingExpiration = TimeSpan.FromHours(1),
        });

    /// <summary>The dataset, the template's id and model version (its schema), and the mapping asked for (no mapping and an empty one alike).</summary>
    private static string Key(Guid datasetId, TemplateManifest manifest, IReadOnlyDictionary<string, string>? mapping) =>
        string.Join('\u001f', [datasetId.ToString("N"), manifest.Id, manifest.ModelVersion,
            .. (mapping ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + '\u001e' + p.Value)]);

    public void Dispose() => _reports.Dispose();
}
