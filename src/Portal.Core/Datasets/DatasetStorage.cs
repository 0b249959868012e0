using Microsoft.Extensions.Options;

namespace Portal.Core.Datasets;

/// <summary>
/// Files under <c>Portal:Storage:Root</c>, by tenant, under generated names only (a user's file name never becomes a
/// path). Paths in the database are relative to the root.
/// </summary>
public sealed class DatasetStorage(PortalPaths paths, IOptions<StorageOptions> options)
{
    public string Root => paths.Resolve(options.Value.Root);

    public string NewDatasetPath(Guid tenantId, Guid datasetId, DatasetFormat format) =>
        Path.Combine(tenantId.ToString("N"), "datasets", datasetId.ToString("N") + format switch
        {
            DatasetFormat.Xlsx => ".xlsx",
            DatasetFormat.JsonLines => ".jsonl",
            _ => ".csv",
        });

    public string RunResultsPath(Guid tenantId, Guid runId) => Path.Combine(tenantId.ToString("N"), "runs", runId.ToString("N") + ".results.db");

    /// <summary>Where the latest check of a dataset keeps its valid rows for a run that follows (<see cref="CheckedRowsFile"/>).</summary>
    public string CheckedRowsPath(Guid tenantId, Guid datasetId) => Path.Combine(tenantId.ToString("N"), ChecksFolder, datasetId.ToString("N") + ".rows");

    /// <summary>A run's checked rows, once its start has taken them from the check; given back when the run finishes.</summary>
    public string RunInputPath(Guid tenantId, Guid runId) => Path.Combine(tenantId.ToString("N"), "runs", runId.ToString("N") + ".input.rows");

    private const string ChecksFolder = "checks";

    /// <summary>
    /// Deletes checks' files (and the temporary files of interrupted checks) last written before <paramref name="before"/>:
    /// checks that no run followed. Returns how many went.
    /// </summary>
    public int DeleteStaleChecks(DateTime before)
    {
        var root = Root;
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var folder in Directory.EnumerateDirectories(root, ChecksFolder, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 1 }))
        {
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
            {
                if (file.LastWriteTimeUtc < before)
                {
                    try
                    {
                        file.Delete();
                        deleted++;
                    }
                    catch (IOException)
                    {
                        // in use by a check or a start on another node: the next sweep takes it
                    }
                }
            }
        }

        return deleted;
    }

    /// <summary>The absolute path of a stored file; refuses anything that would leave the root.</summary>
    public string Resolve(string relative)
    {
        var root = Path.GetFullPath(Root);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? full
            : throw new InvalidOperationException("A stored path left the storage root.");
    }

    /// <summary>Copies <paramref name="content"/> to <paramref name="path"/>, stopping as soon as it passes <paramref name="maxBytes"/>.</summary>
    public async Task<long> WriteLimitedAsync(Stream content, string path, long maxBytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var buffer = new byte[81920];
        long total = 0;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new UploadTooLargeException(maxBytes);
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return total;
    }

    public void Delete(string relative)
    {
        if (relative.Length == 0)
        {
            return;
        }

        var path = Resolve(relative);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
