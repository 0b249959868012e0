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
