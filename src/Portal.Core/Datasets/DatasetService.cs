using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Templates;
using Portal.Core.Tenancy;

namespace Portal.Core.Datasets;

/// <summary>The upload is larger than <see cref="UploadOptions.MaxBytes"/>; nothing was kept.</summary>
public sealed class UploadTooLargeException(long limit)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"The file is larger than the upload limit of {limit / (1024.0 * 1024):0.#} MB."))
{
    public long Limit { get; } = limit;
}

/// <summary>The dataset is read by a queued or running run and cannot be deleted now.</summary>
public sealed class DatasetInUseException(string message) : Exception(message);

/// <summary>
/// Uploads, lists, renames and deletes datasets. A file streams to disk under a generated name with the size limit
/// enforced as it arrives, is read once to check it and find its columns, and is charged as
/// <see cref="QuotaMetric.StorageBytes"/>; anything wrong removes the file again. Members see their own datasets,
/// tenant admins their tenant's.
/// </summary>
public sealed class DatasetService(
    IDbContextFactory<PortalDbContext> dbFactory,
    ITenantContext tenant,
    IQuotaService quota,
    IAuditLog audit,
    DatasetStorage storage,
    IOptions<UploadOptions> options,
    TimeProvider clock,
    ILogger<DatasetService> logger)
{
    private UploadOptions Limits => options.Value;

    /// <summary>Datasets the caller may see: their own, or the tenant's for tenant admins (the tenant filter applies to both).</summary>
    public IQueryable<Dataset> Visible(PortalDbContext db)
    {
        var caller = tenant.Caller ?? throw new TenantAccessException("Datasets need a signed-in caller.");
        return CanSeeTenant(caller) ? db.Datasets : db.Datasets.Where(d => d.OwnerId == caller.UserId);
    }

    public async Task<IReadOnlyList<Dataset>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Visible(db).AsNoTracking().OrderByDescending(d => d.CreatedAt).ToListAsync(cancellationToken);
    }

    public async Task<Dataset?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Visible(db).AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
    }

    /// <summary>Stores, checks and charges an upload.</summary>
    /// <exception cref="TabularFileException">The file cannot be read as a table (nothing kept, nothing charged).</exception>
    /// <exception cref="UploadTooLargeException">Over the size limit (nothing kept).</exception>
    /// <exception cref="QuotaExceededException">Not enough storage quota (nothing kept).</exception>
    public async Task<Dataset> UploadAsync(Stream content, string fileName, CancellationToken cancellationToken = default)
    {
        var caller = tenant.Caller ?? throw new TenantAccessException("Uploading needs a signed-in caller.");
        var cleanName = CleanFileName(fileName);
        var format = DatasetFormats.FromFileName(cleanName)
            ?? throw new TabularFileException("The portal reads {0} files; '{1}' is none of them.", DatasetFormats.Accepted, TabularFile.Shorten(cleanName));

        var dataset = new Dataset
        {
            OwnerId = caller.UserId,
            TenantId = caller.TenantId,
            Name = Path.GetFileNameWithoutExtension(cleanName),
            FileName = cleanName,
            Format = format,
            StoredPath = string.Empty,
            ReadAs = string.Empty,
            CreatedAt = clock.GetUtcNow(),
        };
        dataset.StoredPath = storage.NewDatasetPath(caller.TenantId, dataset.Id, format);
        var path = storage.Resolve(dataset.StoredPath);
        var kept = false;
        try
        {
            dataset.SizeBytes = await storage.WriteLimitedAsync(content, path, Limits.MaxBytes, cancellationToken);
            await InspectAsync(dataset, path, cancellationToken);

            await using var lease = await quota.ReserveAsync(QuotaMetric.StorageBytes, Math.Max(1, dataset.SizeBytes), null, cancellationToken);
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                db.Datasets.Add(dataset);
                await db.SaveChangesAsync(cancellationToken);
            }

            await lease.SettleAsync(Math.Max(1, dataset.SizeBytes));
            kept = true;
            logger.LogInformation("Dataset {DatasetId} stored: {Rows} rows, {Bytes} bytes, {ReadAs}", dataset.Id, dataset.RowCount, dataset.SizeBytes, dataset.ReadAs);
            return dataset;
        }
        finally
        {
            if (!kept)
            {
                storage.Delete(dataset.StoredPath);
            }
        }
    }

    public async Task<Dataset> RenameAsync(Guid id, string name, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 200)
        {
            throw new ArgumentException("A dataset name has 1 to 200 characters.", nameof(name));
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var dataset = await Visible(db).SingleOrDefaultAsync(d => d.Id == id, cancellationToken) ?? throw new KeyNotFoundException("There is no such dataset.");
        dataset.Name = name;
        await db.SaveChangesAsync(cancellationToken);
        return dataset;
    }

    /// <summary>Deletes the dataset and its file and returns its bytes to the storage quota. Refused while a run reads it.</summary>
    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var dataset = await Visible(db).SingleOrDefaultAsync(d => d.Id == id, cancellationToken) ?? throw new KeyNotFoundException("There is no such dataset.");
        if (await db.Runs.AnyAsync(r => r.DatasetId == id && (r.State == Runs.RunState.Queued || r.State == Runs.RunState.Running), cancellationToken))
        {
            throw new DatasetInUseException("A run is still reading this dataset; cancel it or wait for it to finish.");
        }

        db.Datasets.Remove(dataset);
        await db.SaveChangesAsync(cancellationToken);
        storage.Delete(dataset.StoredPath);
        storage.Delete(storage.CheckedRowsPath(dataset.TenantId, dataset.Id));
        await quota.CreditAsync(QuotaMetric.StorageBytes, Math.Max(1, dataset.SizeBytes), dataset.OwnerId, null, cancellationToken);
        await audit.WriteAsync(dataset.TenantId, AuditActions.DatasetDeleted, dataset.Id.ToString(), $"{dataset.Name} ({dataset.RowCount} rows, {dataset.SizeBytes} bytes)", null, cancellationToken);
    }

    /// <summary>Where the latest check of the dataset keeps its valid rows for the run that follows.</summary>
    public string CheckedRowsPath(Dataset dataset) => storage.Resolve(storage.CheckedRowsPath(dataset.TenantId, dataset.Id));

    /// <summary>Opens the dataset's file for reading.</summary>
    public Task<ITabularRecordReader> OpenAsync(Dataset dataset, CancellationToken cancellationToken = default) =>
        TabularFile.OpenAsync(storage.Resolve(dataset.StoredPath), dataset.Format, Limits, cancellationToken);

    /// <summary>The first <paramref name="rows"/> records, for previews.</summary>
    public async Task<IReadOnlyList<string?[]>> PreviewAsync(Dataset dataset, int rows, CancellationToken cancellationToken = default)
    {
        using var reader = await OpenAsync(dataset, cancellationToken);
        var preview = new List<string?[]>(rows);
        while (preview.Count < rows && await reader.ReadAsync(cancellationToken))
        {
            preview.Add(reader.Current);
        }

        return preview;
    }

    private async Task InspectAsync(Dataset dataset, string path, CancellationToken cancellationToken)
    {
        using var reader = await TabularFile.OpenAsync(path, dataset.Format, Limits, cancellationToken);
        var text = new bool[reader.Header.Count];
        var empty = new int[reader.Header.Count];
        var rows = 0;
        var malformed = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            rows++;
            if (reader.RecordError is not null)
            {
                malformed++;
            }

            // Cells as spans (no string per cell), numbers through the validator's exact shortcut for plain decimals.
            for (var i = 0; i < text.Length; i++)
            {
                var cell = reader.Cell(i);
                if (cell.IsWhiteSpace())
                {
                    empty[i]++;
                }
                else if (!text[i] && !TabularValidator.TryParseNumber(cell, out _))
                {
                    text[i] = true;
                }
            }
        }

        if (rows == 0)
        {
            throw new TabularFileException("The file has a header but no data rows.");
        }

        dataset.RowCount = rows;
        dataset.MalformedRows = malformed;
        dataset.ReadAs = reader.Description;
        dataset.Columns = [.. reader.Header.Select((name, i) => new DatasetColumn(
            name, empty[i] == rows ? ColumnKind.Empty : text[i] ? ColumnKind.Text : ColumnKind.Number, empty[i]))];
    }

    private static bool CanSeeTenant(Caller caller) => caller.IsInRole(PortalRoles.TenantAdmin) || caller.IsPlatformAdmin;

    /// <summary>The last path segment, without control characters (browsers and clients may send a full path).</summary>
    internal static string CleanFileName(string fileName)
    {
        var name = fileName.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        name = new string([.. name.Where(c => !char.IsControl(c))]).Trim();
        return name.Length == 0 ? "upload.csv" : name.Length > 200 ? name[^200..] : name;
    }
}
