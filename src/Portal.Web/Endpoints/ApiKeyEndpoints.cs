using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Core.ApiKeys;

namespace Portal.Web.Endpoints;

public sealed record CreateApiKeyRequest(string Name);

internal static class ApiKeyEndpoints
{
    public static void MapApiKeyEndpoints(this RouteGroupBuilder v1)
    {
        var keys = v1.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("/", async (ApiKeyService service, CancellationToken ct) => TypedResults.Ok(await service.ListMineAsync(ct)))
            .WithName("ListApiKeys").WithSummary("List your API keys (never their secrets)");
        keys.MapPost("/", CreateAsync)
            .WithName("CreateApiKey").WithSummary("Create an API key; the secret is in this answer only");
        keys.MapDelete("/{id:guid}", RevokeAsync)
            .WithName("RevokeApiKey").WithSummary("Revoke one of your API keys");

        var tenantKeys = v1.MapGroup("/admin/api-keys").WithTags("Administration").RequireAuthorization(Portal.Core.Accounts.PortalPolicies.TenantAdmin);
        tenantKeys.MapGet("/", async (ApiKeyService service, CancellationToken ct) => TypedResults.Ok(await service.ListTenantAsync(ct)))
            .WithName("ListTenantApiKeys").WithSummary("Every API key of your organisation with its owner (TenantAdmin)");
        tenantKeys.MapDelete("/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, ApiKeyService service, CancellationToken ct) =>
                await service.RevokeInTenantAsync(id, ct)
                    ? TypedResults.NoContent()
                    : TypedResults.Problem(title: "Not found", detail: "There is no such API key in your organisation.", statusCode: StatusCodes.Status404NotFound))
            .WithName("RevokeTenantApiKey").WithSummary("Revoke any API key of your organisation (TenantAdmin)");
    }

    private static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> CreateAsync(
        CreateApiKeyRequest request, ApiKeyService service, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["Give the key a name of 1 to 100 characters."] });
        }

        var created = await service.CreateAsync(request.Name, ct);
        return TypedResults.Created($"{ApiPaths.V1}/api-keys/{created.Id}", created);
    }

    private static async Task<Results<NoContent, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>>> RevokeAsync(
        Guid id, ApiKeyService service, CancellationToken ct)
    {
        if (!await service.RevokeAsync(id, ct))
        {
            return TypedResults.NotFound(new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = 404, Title = "Not found", Detail = "You have no API key with that id." });
        }

        return TypedResults.NoContent();
    }
}
