using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Core.Accounts;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Core.Templates;

namespace Portal.Web.Endpoints;

/// <summary>A dataset as the API shows it; <c>preview</c> holds the first rows on single reads.</summary>
public sealed record DatasetDto(
    Guid Id, string Name, string FileName, DatasetFormat Format, long SizeBytes, int Rows, int MalformedRows, string ReadAs,
    IReadOnlyList<DatasetColumn> Columns, DateTimeOffset CreatedAt, IReadOnlyList<string?[]>? Preview = null)
{
    public static DatasetDto From(Dataset d, IReadOnlyList<string?[]>? preview = null) =>
        new(d.Id, d.Name, d.FileName, d.Format, d.SizeBytes, d.RowCount, d.MalformedRows, d.ReadAs, d.Columns, d.CreatedAt, preview);
}

public sealed record RenameDatasetRequest(string Name);

/// <summary><c>templateId</c> and an optional manual mapping (template input → file column).</summary>
public sealed record ValidateDatasetRequest(string TemplateId, Dictionary<string, string>? Mapping);

public sealed record ValidationReportDto(
    string TemplateId, int TotalRows, int ValidRows, int InvalidRows, IReadOnlyList<string> MissingColumns,
    IReadOnlyDictionary<string, string> Mapping, string? LabelColumn, int ErrorCount, IReadOnlyDictionary<string, int> ErrorsByColumn, IReadOnlyList<CellError> Errors);

internal static class DatasetEndpoints
{
    public static void MapDatasetEndpoints(this RouteGroupBuilder v1)
    {
        var datasets = v1.MapGroup("/datasets").WithTags("Datasets").RequireAuthorization(PortalPolicies.BusinessUser);
        datasets.MapPost("/", UploadAsync)
            .WithName("UploadDataset")
            .WithSummary("Upload a data file (multipart field 'file': CSV, .xlsx or JSON lines); answers its detected columns")
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        datasets.MapGet("/", async (DatasetService service, CancellationToken ct) =>
                TypedResults.Ok((await service.ListAsync(ct)).Select(d => DatasetDto.From(d)).ToList()))
            .WithName("ListDatasets").WithSummary("Your datasets (a tenant admin's: the tenant's)");
        datasets.MapGet("/{id:guid}", GetAsync).WithName("GetDataset").WithSummary("A dataset with its columns and first 20 rows");
        datasets.MapPatch("/{id:guid}", RenameAsync)
            .WithName("RenameDataset").WithSummary("Rename a dataset");
        datasets.MapDelete("/{id:guid}", async (Guid id, DatasetService service, CancellationToken ct) =>
            {
                await service.DeleteAsync(id, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteDataset").WithSummary("Delete a dataset and its file; frees its storage quota")
            .ProducesProblem(StatusCodes.Status409Conflict);
        datasets.MapPost("/{id:guid}/validation", ValidateAsync)
            .WithName("ValidateDataset").WithSummary("Check a dataset against a template: missing columns, row errors, counts")
            .WithDescription("A run started next on this dataset with the same template and mapping reuses this check instead of reading the file again.");
        datasets.MapGet("/{id:guid}/errors.csv", ErrorFileAsync)
            .WithName("DatasetErrorFile").WithSummary("Every validation error against a template as CSV (row, column, message)");
    }

    /// <summary>Streams the multipart body: the file goes to disk as it arrives, never into memory or a form buffer.</summary>
    private static async Task<Results<Created<DatasetDto>, ProblemHttpResult>> UploadAsync(
        HttpRequest request, DatasetService service, IOptions<UploadOptions> options, CancellationToken ct)
    {
        var upload = await MultipartUpload.ReadAsync(request, options.Value, (stream, name) => service.UploadAsync(stream, name, ct), ct);
        if (upload.Problem is { } problem)
        {
            return problem;
        }

        var dataset = upload.Dataset!;
        return TypedResults.Created($"{ApiPaths.V1}/datasets/{dataset.Id}", DatasetDto.From(dataset, await service.PreviewAsync(dataset, 5, ct)));
    }

    private static async Task<Results<Ok<DatasetDto>, ValidationProblem>> RenameAsync(Guid id, RenameDatasetRequest request, DatasetService service, CancellationToken ct)
    {
        var name = request.Name?.Trim() ?? string.Empty;
        if (name.Length is 0 or > 200)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["Give the dataset a name of 1 to 200 characters."] });
        }

        return TypedResults.Ok(DatasetDto.From(await service.RenameAsync(id, name, ct)));
    }

    private static async Task<Results<Ok<DatasetDto>, ProblemHttpResult>> GetAsync(Guid id, DatasetService service, CancellationToken ct) =>
        await service.FindAsync(id, ct) is { } dataset
            ? TypedResults.Ok(DatasetDto.From(dataset, await service.PreviewAsync(dataset, 20, ct)))
            : NotFound();

    private static async Task<Ok<ValidationReportDto>> ValidateAsync(Guid id, ValidateDatasetRequest request, RunService runs, CancellationToken ct) =>
        TypedResults.Ok(Dto(request.TemplateId, await runs.ValidateAsync(id, request.TemplateId, request.Mapping, null, ct)));

    /// <param name="map">Manual mapping as <c>input:column</c> pairs (repeatable), as the browser's mapping dialog sets it.</param>
    public static async Task ErrorFileAsync(Guid id, string templateId, string[]? map, HttpContext context, RunService runs, CancellationToken ct)
    {
        var mapping = (map ?? []).Select(m => m.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        // Validate first (404/400 still possible), buffering nothing: errors stream to the response as they are found.
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"errors-{id:N}.csv\"";
        await using var writer = new StreamWriter(context.Response.Body, new UTF8Encoding(true), 16 * 1024, leaveOpen: true);
        var started = false;
        await runs.ValidateAsync(id, templateId, mapping, async e =>
        {
            if (!started)
            {
                started = true;
                await writer.WriteLineAsync("row,column,message");
            }

            await writer.WriteLineAsync($"{e.Row},{RunExport.Csv(e.Column)},{RunExport.Csv(e.Message)}");
        }, ct);
        if (!started)
        {
            await writer.WriteLineAsync("row,column,message");
        }
    }

    public static ValidationReportDto Dto(string templateId, ValidationReport r) =>
        new(templateId, r.TotalRows, r.ValidRows, r.InvalidRows, r.MissingColumns, r.Mapping.Inputs, r.Mapping.LabelColumn, r.ErrorCount, r.ErrorsByColumn, r.Errors);

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(title: "Not found", detail: "There is no such dataset. GET /api/v1/datasets lists yours.", statusCode: StatusCodes.Status404NotFound);
}

/// <summary>Reads a multipart body section by section: form fields are collected, the <c>file</c> section is handed on as a stream.</summary>
internal static class MultipartUpload
{
    public sealed record Outcome(Dataset? Dataset, IReadOnlyDictionary<string, string> Fields, ProblemHttpResult? Problem);

    public static async Task<Outcome> ReadAsync(HttpRequest request, UploadOptions limits, Func<Stream, string, Task<Dataset>> store, CancellationToken ct)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return new(null, fields, Problem("Send the file as multipart/form-data in a field named 'file'."));
        }

        // The product's own limit is enforced while streaming; lift the server's default (30 MB) just above it.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxBytes + 1024 * 1024;
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
        Dataset? dataset = null;
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
            if (disposition.IsFileDisposition() && name.Equals("file", StringComparison.OrdinalIgnoreCase))
            {
                if (dataset is not null)
                {
                    return new(null, fields, Problem("Send one file per request."));
                }

                var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "upload.csv";
                dataset = await store(section.Body, fileName);
            }
            else if (disposition.IsFormDisposition())
            {
                using var text = new StreamReader(section.Body, Encoding.UTF8);
                var buffer = new char[64 * 1024];
                var read = await text.ReadBlockAsync(buffer, ct);
                fields[name] = new string(buffer, 0, read);
            }
        }

        return dataset is null
            ? new(null, fields, Problem("The request has no file. Send it in a multipart field named 'file'."))
            : new(dataset, fields, null);
    }

    private static ProblemHttpResult Problem(string detail) =>
        TypedResults.Problem(title: "No file", detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
