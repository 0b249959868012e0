using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Core.Accounts;
using Portal.Core.Tenancy;

namespace Portal.Web.Endpoints;

public sealed record CreateTenantRequest(string Name, string Slug, string? Plan);

internal static class TenantEndpoints
{
    public static void MapTenantEndpoints(this RouteGroupBuilder v1)
    {
        var tenants = v1.MapGroup("/admin/tenants").WithTags("Administration").RequireAuthorization(PortalPolicies.PlatformAdmin);
        tenants.MapGet("/", async (TenantService service, CancellationToken ct) => TypedResults.Ok(await service.ListAsync(ct)))
            .WithName("ListTenants").WithSummary("All tenants (PlatformAdmin)");
        tenants.MapPost("/", CreateAsync)
            .WithName("CreateTenant").WithSummary("Create a tenant (PlatformAdmin)");
    }

    private static async Task<Results<Created<TenantSummary>, ValidationProblem>> CreateAsync(
        CreateTenantRequest request, TenantService service, CancellationToken ct)
    {
        try
        {
            var created = await service.CreateAsync(request.Name ?? string.Empty, request.Slug ?? string.Empty, request.Plan, ct);
            return TypedResults.Created($"{ApiPaths.V1}/admin/tenants/{created.Id}", created);
        }
        catch (TenantValidationException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tenant"] = [e.Message] });
        }
    }
}
