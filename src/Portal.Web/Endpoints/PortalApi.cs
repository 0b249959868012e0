using Microsoft.AspNetCore.Authorization;
using Portal.Core.Accounts;
using Portal.Web.ApiKeys;

namespace Portal.Web.Endpoints;

/// <summary>Maps the versioned HTTP API. Every group authenticates with API keys and answers errors as problem details.</summary>
public static class PortalApi
{
    public static IEndpointRouteBuilder MapPortalApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup(ApiPaths.V1)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = ApiKeyAuthenticationHandler.SchemeName, Policy = PortalPolicies.SignedIn })
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        v1.MapMeEndpoints();
        v1.MapTemplateEndpoints();
        v1.MapDatasetEndpoints();
        v1.MapRunEndpoints();
        v1.MapUsageEndpoints();
        v1.MapAuditEndpoints();
        v1.MapApiKeyEndpoints();
        v1.MapMemberEndpoints();
        v1.MapTenantEndpoints();
        v1.MapQuotaEndpoints();
        v1.MapTemplateAccessEndpoints();
        v1.MapAssistantEndpoints();

        var openAi = app.MapGroup(ApiPaths.OpenAi)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = ApiKeyAuthenticationHandler.SchemeName, Policy = PortalPolicies.SignedIn })
            .WithTags("OpenAI-compatible");
        openAi.MapOpenAiEndpoints();
        return app;
    }
}
