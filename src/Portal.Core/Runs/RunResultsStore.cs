using Portal.Core.Datasets;
using Portal.Core.Templates;

namespace Portal.Core.Runs;

/// <summary>One scored row: the file's row number, the prediction, the label cell (when the file had one) and the inputs.</summary>
public sealed record ResultRow(int Row, string? Label, double Score, string? Actual, IReadOnlyList<string> Inputs);

/// <summary>A page of results: sorted by <c>row</c> or <c>score</c>, optionally one predicted label and a score range.</summary>
public sealed record ResultQuery(int Skip = 0, int Take = 50, string SortBy = "row", bool Descending = false, string? Label = null, double? MinScore = null, double? MaxScore = null);

public sealed record ResultPage(IReadOnlyList<ResultRow> Rows, int Total);

/// <summary>Rows per interval of the predicted probability or value.</summary>
public sealed record HistogramBin(double From, double To, int Count);

/// <summary>
/// How a classification run's scores become labels: the positive label from <see cref="Threshold"/> up. Regression
/// runs have no labels.
/// </summary>
public sealed record ResultLabels(string Positive, string Negative)
{
    public const float Threshold = 0.5f;

    public string Of(double score) => score >= Threshold ? Positive : Negative;

    /// <summary>A template's labels, or null for regression (the catalog refuses classification packs without both).</summary>
    public static ResultLabels? For(TemplateManifest manifest) =>
        manifest.IsClassification ? new(manifest.Output.PositiveLabel!, manifest.Output.NegativeLabel!) : null;
}

/// <summary>Where a run's results are kept: one SQLite file per run under the tenant's storage folder.</summary>
public sealed class RunResultsStore(DatasetStorage storage)
{
    public string PathOf(Run run) => storage.Resolve(storage.RunResultsPath(run.TenantId, run.Id));

    /// <summary>
    /// Opens a run's results for reading. Callers get <paramref name="run"/> from a tenant-scoped query;
    /// <paramref name="manifest"/> is its template's, used only to convert results written by an earlier version.
    /// </summary>
    public Task<RunResultsFile> OpenAsync(Run run, TemplateManifest? manifest, CancellationToken cancellationToken = default) =>
        RunResultsFile.OpenAsync(PathOf(run), manifest, cancellationToken);

    /// <summary>The checked rows a run reads (taken from its dataset's check when it started), if it still has them.</summary>
    public string InputPathOf(Run run) => storage.Resolve(storage.RunInputPath(run.TenantId, run.Id));

    /// <summary>
    /// Once the run has finished (or was cancelled before it started): gives its checked rows back to its dataset, so that
    /// a run started next from the same check (again after a cancel, say) scores them too, unless a newer check of the
    /// dataset is there; then they are deleted. Back with the dataset they are a check's again: uncharged, and swept
    /// after <see cref="RunService.CheckedRowsLifetime"/> unless a run takes them.
    /// </summary>
    public void ReturnInput(Run run)
    {
        var input = InputPathOf(run);
        if (!File.Exists(input))
        {
            return;
        }

        var check = storage.Resolve(storage.CheckedRowsPath(run.TenantId, run.DatasetId));
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(check)!);
            File.Move(input, check, overwrite: false);
            File.SetLastWriteTimeUtc(check, DateTime.UtcNow);
        }
        catch (IOException)
        {
            File.Delete(input); // a newer check is there
        }
    }

    /// <summary>Deletes the run's checked rows (a start that failed after taking them).</summary>
    public void DeleteInput(Run run)
    {
        var path = InputPathOf(run);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Deletes a run's results: the index with its journal files and the data file.</summary>
    public void Delete(Run run) => RunResultsFile.Delete(PathOf(run));

    /// <summary>The bytes a run's results take on disk (what its StorageBytes charge is; SQLite's shared-memory file is transient).</summary>
    public long SizeOf(Run run) => FilesOf(run).Where(f => !f.EndsWith("-shm", StringComparison.Ordinal)).Select(f => new FileInfo(f)).Where(f => f.Exists).Sum(f => f.Length);

    private string[] FilesOf(Run run) => RunResultsFile.FilesOf(PathOf(run));

    /// <summary>Creates (or opens, to resume or complete) a run's results for its worker.</summary>
    public Task<RunResultsFile> CreateAsync(Run run, TemplateManifest? manifest, CancellationToken cancellationToken = default) =>
        RunResultsFile.CreateAsync(PathOf(run), manifest, cancellationToken);
}

/// <summary>What a results file's columns are: the inputs (with the category names of category inputs) and the labels.</summary>
public sealed record ResultLayout(IReadOnlyList<ResultInput> Inputs, ResultLabels? Labels)
{
    public static ResultLayout Of(TemplateManifest manifest) =>
        new([.. manifest.Inputs.Select(i => new ResultInput(i.Name, i.Type == InputType.Category ? i.Categories : null))], ResultLabels.For(manifest));
}

public sealed record ResultInput(string Name, IReadOnlyList<string>? Categories);
