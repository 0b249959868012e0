using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Core.Templates;

namespace Portal.Web.Endpoints;

/// <summary>A run as the API shows it.</summary>
public sealed record RunDto(
    Guid Id, string TemplateId, string ModelVersion, Guid DatasetId, string DatasetName, RunState State,
    int RowsTotal, int RowsDone, int RowsInvalid, long Charged, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string? Error, string? LabelColumn, int LabelledRows, ModelMetrics? Metrics, IReadOnlyDictionary<string, string> Mapping, int Attempts,
    DateTimeOffset? ResultsDeletedAt, long? ResultsBytes)
{
    public static RunDto From(Run r) => new(
        r.Id, r.TemplateId, r.ModelVersion, r.DatasetId, r.DatasetName, r.State, r.RowsTotal, r.RowsDone, r.RowsInvalid, r.Charged,
        r.CreatedAt, r.StartedAt, r.FinishedAt, r.Error, r.LabelColumn, r.LabelledRows, r.Metrics, r.Mapping, r.Attempts, r.ResultsDeletedAt, r.ChargedResultsBytes);
}

/// <summary><c>{"templateId", "datasetId", "mapping"?}</c>; or multipart with a <c>file</c> and <c>templateId</c> (and <c>mapping</c> as JSON).</summary>
public sealed record StartRunRequest(string TemplateId, Guid DatasetId, Dictionary<string, string>? Mapping);

public sealed record RunPage(IReadOnlyList<RunDto> Items, int Total, int Page, int PageSize);

internal static class RunEndpoints
{
    public static void MapRunEndpoints(this RouteGroupBuilder v1)
    {
        var runs = v1.MapGroup("/runs").WithTags("Runs").RequireAuthorization(PortalPolicies.BusinessUser);
        runs.MapPost("/", StartAsync)
            .WithName("StartRun")
            .WithSummary("Start a batch run: JSON {templateId, datasetId, mapping?} or multipart (file, templateId); answers 202 with the queued run")
            .WithDescription("The whole file is validated first; PredictionRows for its valid rows are reserved up front (429 when the quota cannot cover them) and the rows actually scored are charged.")
            .Accepts<StartRunRequest>("application/json", "multipart/form-data")
            .DisableAntiforgery()
            .Produces<RunDto>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        runs.MapGet("/", ListAsync).WithName("ListRuns").WithSummary("Your runs, newest first (a tenant admin's: the tenant's), paged");
        runs.MapGet("/{id:guid}", GetAsync).WithName("GetRun").WithSummary("A run: state, rows total and done, metrics when finished, error when failed");
        runs.MapGet("/{id:guid}/results", ResultsAsync)
            .WithName("GetRunResults").WithSummary("The results as CSV, or ?format=xlsx; the run's summary travels with them");
        runs.MapDelete("/{id:guid}", CancelAsync).WithName("CancelRun").WithSummary("Cancel a queued or running run; it is charged only for the rows already scored");
        runs.MapDelete("/{id:guid}/results", DeleteResultsAsync)
            .WithName("DeleteRunResults")
            .WithSummary("Delete a finished run's results (scored rows and their inputs) for good; the run stays in the history")
            .WithDescription("409 while the run is queued or running (cancel it first). Afterwards GET …/results answers 410.")
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    /// <summary>The browser's download links (cookie-authenticated, outside the API): results and a dataset's error file.</summary>
    public static void MapRunDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/runs/{id:guid}/results.{format}", (Guid id, string format, HttpContext context, RunService runs, ITemplateCatalog catalog, UserManager<PortalUser> users, CancellationToken ct) =>
                format is "csv" or "xlsx" ? ResultsAsync(id, format, context, runs, catalog, users, ct) : Task.FromResult<IResult>(TypedResults.NotFound()))
            .RequireAuthorization(PortalPolicies.BusinessUser)
            .ExcludeFromDescription();
        app.MapGet("/datasets/{id:guid}/errors.csv", DatasetEndpoints.ErrorFileAsync)
            .RequireAuthorization(PortalPolicies.BusinessUser)
            .ExcludeFromDescription();
    }

    private static async Task<IResult> StartAsync(
        HttpRequest request, RunService runs, DatasetService datasets, IOptions<UploadOptions> uploads, CancellationToken ct)
    {
        string? templateId;
        Guid datasetId;
        Dictionary<string, string>? mapping = null;
        if (request.HasJsonContentType())
        {
            StartRunRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<StartRunRequest>(ct);
            }
            catch (JsonException e)
            {
                return TypedResults.Problem(title: "Invalid JSON", detail: e.Message, statusCode: StatusCodes.Status400BadRequest);
            }

            (templateId, datasetId, mapping) = (body?.TemplateId, body?.DatasetId ?? Guid.Empty, body?.Mapping);
        }
        else
        {
            var upload = await MultipartUpload.ReadAsync(request, uploads.Value, (stream, name) => datasets.UploadAsync(stream, name, ct), ct);
            if (upload.Problem is { } problem)
            {
                return problem;
            }

            templateId = upload.Fields.GetValueOrDefault("templateId");
            datasetId = upload.Dataset!.Id;
            if (upload.Fields.TryGetValue("mapping", out var json) && json.Length > 0)
            {
                try
                {
                    mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(json);
                }
                catch (JsonException)
                {
                    return TypedResults.Problem(title: "Invalid mapping", detail: "'mapping' must be a JSON object of template input → file column.", statusCode: StatusCodes.Status400BadRequest);
                }
            }
        }

        if (string.IsNullOrWhiteSpace(templateId) || datasetId == Guid.Empty)
        {
            return TypedResults.Problem(title: "Missing fields", detail: "Name the template ('templateId') and the dataset ('datasetId') or send a 'file'.", statusCode: StatusCodes.Status400BadRequest);
        }

        var run = await runs.StartAsync(templateId, datasetId, mapping, ct);
        return TypedResults.Accepted($"{ApiPaths.V1}/runs/{run.Id}", RunDto.From(run));
    }

    private static async Task<Ok<RunPage>> ListAsync(RunService runs, int? page, int? pageSize, CancellationToken ct)
    {
        var size = Math.Clamp(pageSize ?? 50, 1, 200);
        var number = Math.Max(1, page ?? 1);
        var (items, total) = await runs.ListAsync((number - 1) * size, size, ct);
        return TypedResults.Ok(new RunPage([.. items.Select(RunDto.From)], total, number, size));
    }

    private static async Task<Results<Ok<RunDto>, ProblemHttpResult>> GetAsync(Guid id, RunService runs, CancellationToken ct) =>
        await runs.FindAsync(id, ct) is { } run ? TypedResults.Ok(RunDto.From(run)) : NotFound();

    private static async Task<Results<Ok<RunDto>, ProblemHttpResult>> CancelAsync(Guid id, RunService runs, CancellationToken ct) =>
        TypedResults.Ok(RunDto.From(await runs.CancelAsync(id, ct)));

    private static async Task<Ok<RunDto>> DeleteResultsAsync(Guid id, RunService runs, CancellationToken ct) =>
        TypedResults.Ok(RunDto.From(await runs.DeleteResultsAsync(id, ct)));

    private static async Task<IResult> ResultsAsync(
        Guid id, string? format, HttpContext context, RunService runs, ITemplateCatalog catalog, UserManager<PortalUser> users, CancellationToken ct)
    {
        if (await runs.FindAsync(id, ct) is not { } run)
        {
            return NotFound();
        }

        if (run.ResultsDeletedAt is { } deleted)
        {
            return TypedResults.Problem(title: "Results deleted", detail: $"The run's results were deleted on {deleted.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}.", statusCode: StatusCodes.Status410Gone);
        }

        if (catalog.Find(run.TemplateId) is not { } pack || !runs.HasResults(run))
        {
            return TypedResults.Problem(title: "No results yet", detail: $"The run is {run.State.ToString().ToLowerInvariant()} and has no results to download yet.", statusCode: StatusCodes.Status409Conflict);
        }

        var owner = await users.FindByIdAsync(run.OwnerId);
        var summary = new RunSummary(run, pack.Manifest, owner?.Email ?? run.OwnerId);
        await WriteResultsAsync(context, runs, run, summary, format, ct);
        return TypedResults.Empty;
    }

    /// <summary>Streams a run's results (shared by the API and the browser's download link).</summary>
    public static async Task WriteResultsAsync(HttpContext context, RunService runs, Run run, RunSummary summary, string? format, CancellationToken ct)
    {
        var xlsx = string.Equals(format, "xlsx", StringComparison.OrdinalIgnoreCase);
        var name = $"{run.TemplateId}-{run.CreatedAt:yyyyMMdd-HHmm}-{run.Id.ToString("N")[..8]}";
        context.Response.ContentType = xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.{(xlsx ? "xlsx" : "csv")}\"";
        await using var results = await runs.OpenResultsAsync(run, ct);
        if (xlsx)
        {
            // The zip writer needs a seekable stream; a temporary file keeps memory flat for any size of run.
            await using var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await RunExport.WriteXlsxAsync(temp, summary, results.AllAsync(ct), ct);
            context.Response.ContentLength = temp.Length;
            temp.Position = 0;
            await temp.CopyToAsync(context.Response.Body, ct);
        }
        else
        {
            await RunExport.WriteCsvAsync(context.Response.Body, summary, results.AllAsync(ct), ct);
        }
    }

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(title: "Not found", detail: "There is no such run. GET /api/v1/runs lists yours.", statusCode: StatusCodes.Status404NotFound);
}
