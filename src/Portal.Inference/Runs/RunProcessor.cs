using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Datasets;
using Portal.Core.Quotas;
using Portal.Core.Runs;
using Portal.Core.Templates;
using Portal.Core.Tenancy;
using Portal.Core.Usage;
using Portal.Inference.Templates;

namespace Portal.Inference.Runs;

/// <summary>
/// Works one claimed run as its owner: reads the dataset record by record, validates into chunks, scores each chunk
/// with the template's model and appends it to the results in one transaction, then renews the lease and checks for
/// cancellation. Resumes after the last committed row, so no row is scored twice into the results. At the end the
/// run is evaluated (when the file has the label column) and charged for the rows actually scored.
/// </summary>
public sealed class RunProcessor(
    IServiceScopeFactory scopes,
    TemplateCatalog catalog,
    RunQueue queue,
    RunResultsStore store,
    TimeProvider clock,
    IOptions<RunOptions> options,
    ILogger<RunProcessor> logger)
{
    public async Task ProcessAsync(Run run, string workerId, CancellationToken stopping)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Set(new Caller(run.OwnerId, run.TenantId, [], run.ApiKeyId));
        var quota = scope.ServiceProvider.GetRequiredService<IQuotaService>();
        var lease = run.ReservationId is { } reservation ? quota.Resume(reservation, QuotaMetric.PredictionRows, run.RowsTotal) : null;
        var storage = run.StorageReservationId is { } held ? quota.Resume(held, QuotaMetric.StorageBytes, run.ResultsBytes) : null;

        using var work = queue.Track(run.Id, stopping);
        var done = 0;
        try
        {
            var pack = catalog.Find(run.TemplateId);
            var model = catalog.Model(run.TemplateId);
            if (pack is null || model is null || pack.Manifest.ModelVersion != run.ModelVersion)
            {
                throw new TabularFileException("The template '{0}' (model {1}) is no longer installed; start a new run.", run.TemplateId, run.ModelVersion);
            }

            var datasets = scope.ServiceProvider.GetRequiredService<DatasetService>();
            var dataset = await datasets.FindAsync(run.DatasetId, work.Token)
                ?? throw new TabularFileException("The dataset of this run was deleted.");
            await using var results = await store.CreateAsync(run, pack.Manifest, work.Token);
            var after = await results.LastRowAsync(work.Token);
            done = await results.CountAsync(work.Token);
            if (after > 0)
            {
                logger.LogInformation("Run {RunId} resumes after row {Row} ({Done} rows already scored), attempt {Attempt}", run.Id, after, done, run.Attempts);
            }

            var (state, labelled, metrics) = await ScoreAsync(run, workerId, pack.Manifest, model, datasets, dataset, results, after, done, d => done = d, work.Token);
            if (state is null)
            {
                return; // the lease was lost to another worker, which now owns the run
            }

            await results.CompleteAsync(CancellationToken.None);
            var outcome = state == RunState.Cancelled ? UsageOutcome.Cancelled : UsageOutcome.Succeeded;
            if (await queue.FinishAsync(run.Id, workerId, state.Value, done, done, null, metrics, labelled, CancellationToken.None))
            {
                await ChargeAsync(run, lease, storage, quota, done, outcome, indexResults: false);
            }

            logger.LogInformation("Run {RunId} {State}: {Done} of {Total} rows", run.Id, state, done, run.RowsTotal);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and a worker (this process after a restart, or another) resumes the run.
            logger.LogInformation("Run {RunId} paused at {Done} rows by shutdown", run.Id, done);
        }
        catch (OperationCanceledException)
        {
            if (await queue.FinishAsync(run.Id, workerId, RunState.Cancelled, done, done, null, null, 0, CancellationToken.None))
            {
                await ChargeAsync(run, lease, storage, quota, done, UsageOutcome.Cancelled, indexResults: true);
            }
        }
        catch (Exception e)
        {
            var message = e is TabularFileException file
                ? file.Text
                : new LocalizableText("The run failed unexpectedly after {0:N0} rows; the rows scored so far are kept (reference {1}).", done, run.Id.ToString());
            logger.LogError(e, "Run {RunId} failed after {Done} rows", run.Id, done);
            if (await queue.FinishAsync(run.Id, workerId, RunState.Failed, done, done, message, null, 0, CancellationToken.None))
            {
                await ChargeAsync(run, lease, storage, quota, done, UsageOutcome.Failed, indexResults: true);
            }
        }
    }

    /// <summary>
    /// Once this worker has marked the run finished: gives the checked rows it read back to the dataset, charges the rows scored, then the
    /// results' size on disk as StorageBytes in place of the estimate (and the checked rows) reserved at the start (the
    /// rows kept by a cancelled or failed run are results too, indexed first when the run stopped early); gives the bytes
    /// back when the results were deleted in the meantime.
    /// </summary>
    private async Task ChargeAsync(Run run, QuotaLease? rows, QuotaLease? storage, IQuotaService quota, int done, UsageOutcome outcome, bool indexResults)
    {
        store.ReturnInput(run);
        if (rows is not null)
        {
            await rows.SettleAsync(done, outcome);
        }

        if (indexResults)
        {
            await CompleteResultsAsync(run);
        }

        if (storage is null)
        {
            return;
        }

        var bytes = store.SizeOf(run);
        await storage.SettleAsync(bytes, outcome);
        if (!await queue.SetResultsBytesAsync(run.Id, bytes, CancellationToken.None))
        {
            // Deleted while this worker finished: whatever it wrote since goes too, and so does the charge.
            store.Delete(run);
            if (bytes > 0)
            {
                await quota.CreditAsync(QuotaMetric.StorageBytes, bytes, run.OwnerId, run.TemplateId, CancellationToken.None);
            }
        }
    }

    /// <summary>Indexes the results of a run that stopped early (the normal path does this before finishing).</summary>
    private async Task CompleteResultsAsync(Run run)
    {
        if (File.Exists(store.PathOf(run)))
        {
            await using var results = await store.CreateAsync(run, catalog.Find(run.TemplateId)?.Manifest, CancellationToken.None);
            await results.CompleteAsync(CancellationToken.None);
        }
    }

    private async Task<(RunState? State, int Labelled, ModelMetrics? Metrics)> ScoreAsync(
        Run run, string workerId, TemplateManifest manifest, TabularModel model, DatasetService datasets, Dataset dataset,
        RunResultsFile results, int after, int done, Action<int> progress, CancellationToken cancellationToken)
    {
        // The rows its start's check kept, when they are there (a run queued by an earlier version, or whose rows were
        // replaced by another check, reads and checks the dataset's file instead).
        var key = CheckedRowsFile.Key(run.DatasetId, manifest, run.Mapping, run.LabelColumn);
        using var checkedRows = await CheckedRowsFile.TryOpenAsync(store.InputPathOf(run), key, manifest, run.LabelColumn is not null, cancellationToken);
        if (checkedRows is null)
        {
            logger.LogInformation("Run {RunId} reads and checks the dataset's file after row {Row}", run.Id, after);
        }
        else
        {
            logger.LogInformation("Run {RunId} scores the rows its check kept, after row {Row}", run.Id, after);
        }

        using var reader = checkedRows is null ? await datasets.OpenAsync(dataset, cancellationToken) : null;
        IRecordSource source = checkedRows is not null
            ? checkedRows.After(after)
            : new FileRecords(reader!, manifest, run.Mapping, after, options.Value.ChunkRows);
        var held = true;
        var cancel = false;
        var pipeline = new RunPipeline(model, options.Value.ChunksWithModel);
        long? lastBeat = null;
        var (_, completed) = await pipeline.RunAsync(source, results, async scored =>
        {
            progress(done + scored);
            // Progress, lease and the cancel flag go through the database at most every ProgressInterval (and after the
            // first chunk): a renewal per chunk cost more than scoring a chunk of a small model.
            if (lastBeat is { } beat && clock.GetElapsedTime(beat) < options.Value.ProgressInterval)
            {
                return true;
            }

            lastBeat = clock.GetTimestamp();
            await results.CommitAsync(cancellationToken); // the progress shown is never ahead of what a crash keeps
            (held, cancel) = await queue.HeartbeatAsync(run.Id, workerId, done + scored, CancellationToken.None);
            return held && !cancel;
        }, cancellationToken);

        if (!held)
        {
            logger.LogWarning("Run {RunId}: lease lost; another worker continues it", run.Id);
            return (null, 0, null);
        }

        if (cancel || !completed)
        {
            return (RunState.Cancelled, 0, null);
        }

        if (run.LabelColumn is null)
        {
            return (RunState.Succeeded, 0, null);
        }

        var (labelled, metrics) = await EvaluateAsync(manifest, results, cancellationToken);
        return (RunState.Succeeded, labelled, metrics);
    }

    /// <summary>Metrics of the scores against the file's label column (rows whose label cell cannot be read are skipped).</summary>
    internal static async Task<(int Labelled, ModelMetrics? Metrics)> EvaluateAsync(TemplateManifest manifest, RunResultsFile results, CancellationToken cancellationToken)
    {
        var (actualText, scores) = await results.LabelledAsync(cancellationToken);
        var output = manifest.Output;
        if (manifest.IsClassification)
        {
            var actual = new List<bool>(actualText.Count);
            var used = new List<float>(actualText.Count);
            for (var i = 0; i < actualText.Count; i++)
            {
                bool? positive = output.PositiveBelow is { } below
                    ? double.TryParse(actualText[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n < below : null
                    : string.Equals(actualText[i], output.PositiveLabel, StringComparison.OrdinalIgnoreCase) ? true
                    : string.Equals(actualText[i], output.NegativeLabel, StringComparison.OrdinalIgnoreCase) ? false : null;
                if (positive is { } p)
                {
                    actual.Add(p);
                    used.Add(scores[i]);
                }
            }

            return actual.Count == 0 ? (0, null) : (actual.Count, MetricsCalculator.Classification(actual, used));
        }

        var values = new List<double>(actualText.Count);
        var predicted = new List<float>(actualText.Count);
        for (var i = 0; i < actualText.Count; i++)
        {
            if (double.TryParse(actualText[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
            {
                values.Add(v);
                predicted.Add(scores[i]);
            }
        }

        return values.Count == 0 ? (0, null) : (values.Count, MetricsCalculator.Regression(values, predicted));
    }
}
