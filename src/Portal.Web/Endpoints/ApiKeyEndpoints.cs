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
