using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Portal.Core.Accounts;
using Portal.Core.Templates;
using Portal.Inference.Templates;

namespace Portal.Web.Endpoints;

/// <summary>A template in the catalogue list.</summary>
public sealed record TemplateSummary(string Id, string Industry, string Kind, LocalizedText Title, LocalizedText Description, string ModelVersion, string? DataSource, ModelMetrics? Validation);

/// <summary>A template's manifest and model card.</summary>
public sealed record TemplateDetail(TemplateManifest Manifest, ModelCard? ModelCard);

/// <summary><c>{"rows":[{column: value, ...}, ...]}</c>.</summary>
public sealed record PredictRequest(IReadOnlyList<Dictionary<string, JsonElement>>? Rows);

/// <summary>One row's answer; classification has label and probability, regression value.</summary>
public sealed record PredictionDto(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Label,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Probability,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Contribution>? Contributions);

/// <summary>A tenant's template access: the platform's list (null: all), the tenant's switched-off ones, and per template the outcome.</summary>
public sealed record TemplateAccessDto(IReadOnlyList<string>? Allowed, IReadOnlyList<string> Disabled, IReadOnlyList<TemplateAccessLine> Templates);

public sealed record TemplateAccessLine(string Id, string Title, bool AllowedByPlatform, bool Enabled);

/// <summary><c>allowed</c>: template ids, or null for every template.</summary>
public sealed record AllowTemplatesRequest(IReadOnlyList<string>? Allowed);

public sealed record DisableTemplatesRequest(IReadOnlyList<string>? Disabled);

public sealed record PredictResponse(string TemplateId, string ModelVersion, IReadOnlyList<PredictionDto> Predictions);

internal static class TemplateEndpoints
{
    public static void MapTemplateEndpoints(this RouteGroupBuilder v1)
    {
        var templates = v1.MapGroup("/templates").WithTags("Templates").RequireAuthorization(PortalPolicies.BusinessUser);
        templates.MapGet("/", async (TemplateAccessService access, CancellationToken ct) => TypedResults.Ok((await access.VisibleAsync(ct)).Select(Summary).ToList()))
            .WithName("ListTemplates").WithSummary("The solution templates your organisation may use: id, industry, kind, titles, headline validation metrics");
        templates.MapGet("/{id}", GetAsync)
            .WithName("GetTemplate").WithSummary("A template's manifest (input schema, output) and model card");
        templates.MapGet("/{id}/sample", SampleAsync)
            .WithName("GetTemplateSample").WithSummary("The template's sample input file (CSV with the data set's own columns)");
        templates.MapPost("/{id}/predict", PredictAsync)
            .WithName("Predict")
            .WithSummary($"Score up to {TabularPredictionService.MaxRows} rows; ?explain=true adds each input's contribution")
            .WithDescription("Rows are objects of column → value using the data set's own column names. Invalid rows answer 400 listing every row's errors, and nothing is charged. Metered as PredictionRows (one per row).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }

    /// <summary>The browser's download link for the sample file (cookie-authenticated, outside the API).</summary>
    public static void MapTemplateDownloads(this IEndpointRouteBuilder app) =>
        app.MapGet("/templates/{id}/sample.csv", SampleAsync)
            .RequireAuthorization(PortalPolicies.BusinessUser)
            .ExcludeFromDescription();

    private static async Task<IResult> SampleAsync(string id, ITemplateCatalog catalog, TemplateAccessService access, CancellationToken ct)
    {
        if (catalog.Find(id) is not { } pack || !File.Exists(pack.SamplePath))
        {
            return NotFound(id);
        }

        await access.EnsureAllowedAsync(id, ct);
        return TypedResults.PhysicalFile(pack.SamplePath, "text/csv", $"{pack.Id}-sample.csv");
    }

    private static TemplateSummary Summary(TemplatePack p) =>
        new(p.Id, p.Manifest.Industry, p.Manifest.Kind, p.Manifest.Title, p.Manifest.Description, p.Manifest.ModelVersion, p.Card?.Data.Name, p.Card?.Validation);

    private static async Task<Results<Ok<TemplateDetail>, ProblemHttpResult>> GetAsync(string id, ITemplateCatalog catalog, TemplateAccessService access, CancellationToken ct)
    {
        if (catalog.Find(id) is not { } pack)
        {
            return NotFound(id);
        }

        await access.EnsureAllowedAsync(id, ct);
        return TypedResults.Ok(new TemplateDetail(pack.Manifest, pack.Card));
    }

    /// <summary>Which templates a tenant may use: the platform's allowance (PlatformAdmin) and the tenant's own switches (TenantAdmin).</summary>
    public static void MapTemplateAccessEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/admin/tenants/{id:guid}/templates", async (Guid id, TemplateAccessService access, ITemplateCatalog catalog, CancellationToken ct) =>
                TypedResults.Ok(AccessDto(await access.ForTenantAsync(id, ct), catalog)))
            .RequireAuthorization(PortalPolicies.PlatformAdmin).WithTags("Administration")
            .WithName("GetTenantTemplates").WithSummary("Templates a tenant may use (PlatformAdmin)");
        v1.MapPut("/admin/tenants/{id:guid}/templates", async (Guid id, AllowTemplatesRequest request, TemplateAccessService access, ITemplateCatalog catalog, CancellationToken ct) =>
                TypedResults.Ok(AccessDto(await access.SetAllowedAsync(id, request.Allowed, ct), catalog)))
            .RequireAuthorization(PortalPolicies.PlatformAdmin).WithTags("Administration")
            .WithName("SetTenantTemplates").WithSummary("Set the templates a tenant may use; allowed null allows every template (PlatformAdmin)");
        v1.MapGet("/admin/templates", async (TemplateAccessService access, ITemplateCatalog catalog, CancellationToken ct) =>
                TypedResults.Ok(AccessDto(await access.ForCallerAsync(ct), catalog)))
            .RequireAuthorization(PortalPolicies.TenantAdmin).WithTags("Administration")
            .WithName("GetOrganisationTemplates").WithSummary("Templates of your organisation: allowed by the platform, enabled for your users (TenantAdmin)");
        v1.MapPut("/admin/templates", async (DisableTemplatesRequest request, TemplateAccessService access, ITemplateCatalog catalog, CancellationToken ct) =>
                TypedResults.Ok(AccessDto(await access.SetDisabledAsync(request.Disabled ?? [], ct), catalog)))
            .RequireAuthorization(PortalPolicies.TenantAdmin).WithTags("Administration")
            .WithName("SetOrganisationTemplates").WithSummary("Switch templates off (or on again) for your users, within what the platform allows (TenantAdmin)");
    }

    private static TemplateAccessDto AccessDto(TemplateAccess access, ITemplateCatalog catalog) =>
        new(access.Allowed, access.Disabled,
            [.. catalog.All.Select(p => new TemplateAccessLine(p.Id, p.Manifest.Title.En, access.AllowedByPlatform(p.Id), access.Allows(p.Id)))]);

    private static async Task<Results<Ok<PredictResponse>, ProblemHttpResult>> PredictAsync(
        string id, PredictRequest request, TabularPredictionService predictions, ITemplateCatalog catalog, bool? explain, CancellationToken ct)
    {
        if (catalog.Find(id) is null)
        {
            return NotFound(id);
        }

        var rows = request.Rows ?? [];
        if (rows.Count == 0)
        {
            return TypedResults.Problem(title: "No rows", detail: "Send {\"rows\":[{column: value, ...}]} with at least one row.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (rows.Count > TabularPredictionService.MaxRows)
        {
            return TypedResults.Problem(
                title: "Too many rows",
                detail: $"{rows.Count} rows were sent; one call scores at most {TabularPredictionService.MaxRows}. Upload larger files as a dataset and start a run.",
                statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        var outcome = await predictions.PredictAsync(
            id, [.. rows.Select(r => (IReadOnlyDictionary<string, object?>)r.ToDictionary(p => p.Key, p => (object?)p.Value))], explain == true, ct);
        if (outcome.Result is not { } result)
        {
            var problem = new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Some rows are not valid for this template",
                Detail = $"{outcome.Errors.Select(e => e.Row).Distinct().Count()} of {rows.Count} rows have errors; nothing was scored or charged.",
            };
            problem.Extensions["errors"] = outcome.Errors;
            return TypedResults.Problem(problem);
        }

        return TypedResults.Ok(new PredictResponse(
            result.TemplateId, result.ModelVersion, [.. result.Predictions.Select(p => new PredictionDto(p.Label, p.Probability, p.Value, p.Contributions))]));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Not found", detail: $"There is no template '{id}'. GET /api/v1/templates lists them.", statusCode: StatusCodes.Status404NotFound);
}
