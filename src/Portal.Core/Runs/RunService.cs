using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Datasets;
using Portal.Core.Quotas;
using Portal.Core.Templates;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Runs;

/// <summary>A run cannot start, with the reason in plain words (in English in the API, translated on pages).</summary>
public sealed class RunRefusedException(LocalizableText text, ValidationReport? report = null) : LocalizableException(text)
{
    public ValidationReport? Report { get; } = report;
}

/// <summary>The run is still queued or running, and what was asked needs it finished.</summary>
public sealed class RunBusyException(string message) : Exception(message);

/// <summary>
/// Starts, lists and cancels runs for the caller. Starting validates the whole file once (unless it was just checked
/// the same way: <see cref="ValidationReportCache"/>) and hands the valid rows the check kept to the run, reserves
/// <see cref="QuotaMetric.PredictionRows"/> for its valid rows (refused up front when the quota cannot cover them) and
/// queues the run; the worker settles what it actually scored. Members see their runs, tenant admins the tenant's.
/// </summary>
public sealed class RunService(
    IDbContextFactory<PortalDbContext> dbFactory,
    ITenantContext tenant,
    IQuotaService quota,
    ITemplateCatalog catalog,
    TemplateAccessService access,
    DatasetService datasets,
    ValidationReportCache reports,
    RunQueue queue,
    RunResultsStore results,
    Audit.IAuditLog audit,
    IOptions<RunOptions> options,
    TimeProvider clock)
{
    public IQueryable<Run> Visible(PortalDbContext db)
    {
        var caller = tenant.Caller ?? throw new TenantAccessException("Runs need a signed-in caller.");
        return caller.IsInRole(PortalRoles.TenantAdmin) || caller.IsPlatformAdmin ? db.Runs : db.Runs.Where(r => r.OwnerId == caller.UserId);
    }

    /// <summary>Checks a dataset against a template (mapping included) without starting anything.</summary>
    public async Task<ValidationReport> ValidateAsync(
        Guid datasetId, string templateId, IReadOnlyDictionary<string, string>? mapping, Func<CellError, ValueTask>? allErrors = null, CancellationToken cancellationToken = default)
    {
        var (dataset, manifest) = await ResolveAsync(datasetId, templateId, cancellationToken);
        return await CheckAsync(dataset, manifest, mapping, allErrors, cancellationToken);
    }

    /// <summary>
    /// Reads and checks the whole file, remembers the report, and keeps the valid rows as checked for a run that follows
    /// (<see cref="CheckedRowsFile"/>; the dataset's latest check replaces an earlier one, and one no run took goes after
    /// <see cref="CheckedRowsLifetime"/>).
    /// </summary>
    private async Task<ValidationReport> CheckAsync(
        Dataset dataset, TemplateManifest manifest, IReadOnlyDictionary<string, string>? mapping, Func<CellError, ValueTask>? allErrors, CancellationToken cancellationToken)
    {
        using var reader = await datasets.OpenAsync(dataset, cancellationToken);
        await using var validRows = CheckedRowsFile.Create(datasets.CheckedRowsPath(dataset), options.Value.ChunkRows);
        var report = await DatasetValidator.ValidateAsync(reader, manifest, mapping, options.Value.ReportErrors, allErrors, validRows, cancellationToken);
        if (report.Mapping.IsComplete && report.ValidRows > 0)
        {
            await validRows.CompleteAsync(CheckedRowsFile.Key(dataset.Id, manifest, report.Mapping.Inputs, report.Mapping.LabelColumn), cancellationToken);
        }

        reports.Set(dataset.Id, manifest, mapping, report);
        return report;
    }

    /// <summary>How long a check's valid rows wait for a run before they are deleted (the report cache forgets reports unused for as long).</summary>
    public static readonly TimeSpan CheckedRowsLifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// Hands the dataset's checked rows to the run when they are this check's (moved, so that the next check cannot
    /// replace them under it): the run then scores them without reading the file again. Returns their bytes (0 when the
    /// run will read the file: the rows are another check's, or gone).
    /// </summary>
    private async Task<long> TakeCheckedRowsAsync(Dataset dataset, TemplateManifest manifest, Run run, CancellationToken cancellationToken)
    {
        var from = datasets.CheckedRowsPath(dataset);
        var key = CheckedRowsFile.Key(dataset.Id, manifest, run.Mapping, run.LabelColumn);
        if (await CheckedRowsFile.RowsAsync(from, key, cancellationToken) != run.RowsTotal)
        {
            return 0;
        }

        var to = results.InputPathOf(run);
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        try
        {
            File.Move(from, to);
        }
        catch (FileNotFoundException)
        {
            return 0; // another start took them first
        }

        // Another check may have replaced the file between the look and the move: the worker checks the key again.
        return new FileInfo(to).Length;
    }

    /// <summary>Validates, reserves and queues a run over the dataset's valid rows.</summary>
    /// <exception cref="RunRefusedException">Columns missing or no valid row.</exception>
    /// <exception cref="QuotaExceededException">The quota cannot cover the valid rows.</exception>
    public async Task<Run> StartAsync(string templateId, Guid datasetId, IReadOnlyDictionary<string, string>? mapping, CancellationToken cancellationToken = default)
    {
        var caller = tenant.Caller ?? throw new TenantAccessException("Runs need a signed-in caller.");
        var (dataset, manifest) = await ResolveAsync(datasetId, templateId, cancellationToken);
        if (!reports.TryGet(dataset.Id, manifest, mapping, out var report))
        {
            report = await CheckAsync(dataset, manifest, mapping, null, cancellationToken);
        }

        if (report.MissingColumns.Count > 0)
        {
            throw new RunRefusedException(new LocalizableText("The file has no column for: {0}. Map these columns or fix the file.", string.Join(", ", report.MissingColumns)), report);
        }

        if (report.ValidRows == 0)
        {
            throw new RunRefusedException(new LocalizableText("None of the {0:N0} rows is valid for this template; see the validation report.", report.TotalRows), report);
        }

        var lease = await quota.ReserveAsync(QuotaMetric.PredictionRows, report.ValidRows, templateId, options.Value.ReservationHold, cancellationToken);
        QuotaLease? storage = null;
        var run = new Run
        {
            OwnerId = caller.UserId,
            TenantId = caller.TenantId,
            ApiKeyId = caller.ApiKeyId,
            TemplateId = manifest.Id,
            ModelVersion = manifest.ModelVersion,
            DatasetId = dataset.Id,
            DatasetName = dataset.Name,
            Mapping = new Dictionary<string, string>(report.Mapping.Inputs),
            LabelColumn = report.Mapping.LabelColumn,
            State = RunState.Queued,
            RowsTotal = report.ValidRows,
            RowsInvalid = report.InvalidRows,
            ReservationId = lease.Id,
            CreatedAt = clock.GetUtcNow(),
        };
        try
        {
            // The results (inputs and predictions) are kept in the tenant's storage, and the checked rows the run reads
            // until it finishes: their size is reserved up front too.
            var resultsBytes = RunResultsFile.EstimateBytes(manifest, report.ValidRows, report.Mapping.LabelColumn is not null);
            var inputBytes = await TakeCheckedRowsAsync(dataset, manifest, run, cancellationToken);
            try
            {
                storage = await quota.ReserveAsync(QuotaMetric.StorageBytes, resultsBytes + inputBytes, templateId, options.Value.ReservationHold, cancellationToken);
            }
            catch (QuotaExceededException) when (inputBytes > 0)
            {
                // The checked rows only save the run reading the file again: without room for them, it reads the file.
                results.ReturnInput(run);
                inputBytes = 0;
                storage = await quota.ReserveAsync(QuotaMetric.StorageBytes, resultsBytes, templateId, options.Value.ReservationHold, cancellationToken);
            }

            run.ResultsBytes = resultsBytes + inputBytes;
            run.StorageReservationId = storage.Id;
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.Runs.Add(run);
            await db.SaveChangesAsync(cancellationToken);
            queue.Signal.Notify();
            return run; // the reservations stay held by the run; the worker settles them
        }
        catch
        {
            results.DeleteInput(run);
            await lease.ReleaseAsync();
            if (storage is not null)
            {
                await storage.ReleaseAsync();
            }

            throw;
        }
    }

    public async Task<Run?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Visible(db).AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
    }

    public async Task<(IReadOnlyList<Run> Runs, int Total)> ListAsync(int skip, int take, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = Visible(db).AsNoTracking();
        var total = await query.CountAsync(cancellationToken);
        var runs = await query.OrderByDescending(r => r.CreatedAt).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 200)).ToListAsync(cancellationToken);
        return (runs, total);
    }

    /// <summary>
    /// Cancels a run. A queued run stops here and returns its whole reservation; a running one stops within a chunk
    /// (at once when this process works it) and is charged for the rows it scored.
    /// </summary>
    public async Task<Run> CancelAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await Visible(db).SingleOrDefaultAsync(r => r.Id == id, cancellationToken) ?? throw new KeyNotFoundException("There is no such run.");
        if (run.IsFinished)
        {
            return run;
        }

        var stoppedQueued = await db.Runs.Where(r => r.Id == id && r.State == RunState.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Cancelled).SetProperty(r => r.CancelRequested, true)
                .SetProperty(r => r.FinishedAt, clock.GetUtcNow()).SetProperty(r => r.ReservationId, (Guid?)null)
                .SetProperty(r => r.StorageReservationId, (Guid?)null).SetProperty(r => r.ResultsBytes, 0L), cancellationToken);
        if (stoppedQueued == 1)
        {
            results.ReturnInput(run);
            if (run.ReservationId is { } reservation)
            {
                await quota.Resume(reservation, QuotaMetric.PredictionRows, run.RowsTotal).ReleaseAsync(UsageOutcome.Cancelled);
            }

            if (run.StorageReservationId is { } storage)
            {
                await quota.Resume(storage, QuotaMetric.StorageBytes, run.ResultsBytes).ReleaseAsync(UsageOutcome.Cancelled);
            }
        }
        else
        {
            // This process's worker stops at once; a worker in another process sees the flag with its next progress.
            queue.CancelLocal(id);
            await db.Runs.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true), cancellationToken);
        }

        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id, cancellationToken);
    }

    /// <summary>
    /// Deletes a finished run's results for good: the scored rows with their inputs. The run stays in the history with
    /// its counts, charge and metrics; its results answer that they were deleted.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such run visible to the caller.</exception>
    /// <exception cref="RunBusyException">The run is still queued or running.</exception>
    public async Task<Run> DeleteResultsAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await Visible(db).SingleOrDefaultAsync(r => r.Id == id, cancellationToken) ?? throw new KeyNotFoundException("There is no such run.");
        if (!run.IsFinished)
        {
            throw new RunBusyException("The run is still working; cancel it first, then delete its results.");
        }

        if (run.ResultsDeletedAt is null)
        {
            var freed = run.StorageReservationId is null ? run.ResultsBytes : 0; // a finishing worker still settles its estimate
            run.ResultsDeletedAt = clock.GetUtcNow();
            run.ResultsBytes = 0;
            await db.SaveChangesAsync(cancellationToken);
            if (freed > 0)
            {
                await quota.CreditAsync(QuotaMetric.StorageBytes, freed, run.OwnerId, run.TemplateId, cancellationToken);
            }

            await audit.WriteAsync(run.TenantId, AuditActions.RunResultsDeleted, run.Id.ToString(), $"{run.TemplateId} on {run.DatasetName} ({run.RowsDone} rows)", null, cancellationToken);
        }

        results.Delete(run); // after the flag, so a failure here leaves files a retry removes, never a run that shows missing results as there
        return run;
    }

    /// <summary>Display names of run owners (users of the caller's tenant only).</summary>
    public async Task<IReadOnlyDictionary<string, string>> OwnerNamesAsync(IEnumerable<string> userIds, CancellationToken cancellationToken = default)
    {
        var ids = userIds.Distinct(StringComparer.Ordinal).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => ids.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName ?? u.Email ?? u.Id, StringComparer.Ordinal, cancellationToken);
    }

    /// <summary>Opens a visible run's results for reading.</summary>
    public async Task<RunResultsFile> OpenResultsAsync(Run run, CancellationToken cancellationToken = default)
    {
        var visible = await FindAsync(run.Id, cancellationToken) ?? throw new KeyNotFoundException("There is no such run.");
        return await results.OpenAsync(visible, catalog.Find(visible.TemplateId)?.Manifest, cancellationToken);
    }

    public bool HasResults(Run run) => run.ResultsDeletedAt is null && File.Exists(results.PathOf(run));

    private async Task<(Dataset Dataset, TemplateManifest Manifest)> ResolveAsync(Guid datasetId, string templateId, CancellationToken cancellationToken)
    {
        var pack = catalog.Find(templateId) ?? throw new KeyNotFoundException($"There is no template '{templateId}'.");
        await access.EnsureAllowedAsync(templateId, cancellationToken);
        if (!TemplateKinds.IsTabular(pack.Manifest.Kind))
        {
            throw new RunRefusedException(new LocalizableText("'{0}' is not a tabular template; runs score tables.", templateId));
        }

        var dataset = await datasets.FindAsync(datasetId, cancellationToken) ?? throw new KeyNotFoundException("There is no such dataset.");
        return (dataset, pack.Manifest);
    }
}
