using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Core.Accounts;
using Portal.Core.Tenancy;

namespace Portal.Web.Endpoints;

public sealed record CreateTenantRequest(string Name, string Slug, string? Plan);

/// <summary>Any of: a new <c>name</c>; <c>isActive</c> false to deactivate (users and keys refused, nothing deleted), true to reactivate.</summary>
public sealed record UpdateTenantRequest(string? Name, bool? IsActive);

internal static class TenantEndpoints
{
    public static void MapTenantEndpoints(this RouteGroupBuilder v1)
    {
        var tenants = v1.MapGroup("/admin/tenants").WithTags("Administration").RequireAuthorization(PortalPolicies.PlatformAdmin);
        tenants.MapGet("/", async (TenantService service, CancellationToken ct) => TypedResults.Ok(await service.ListAsync(ct)))
            .WithName("ListTenants").WithSummary("All tenants (PlatformAdmin)");
        tenants.MapPost("/", CreateAsync)
            .WithName("CreateTenant").WithSummary("Create a tenant (PlatformAdmin)");
        tenants.MapPatch("/{id:guid}", UpdateAsync)
            .WithName("UpdateTenant").WithSummary("Rename, deactivate or reactivate a tenant (PlatformAdmin); audited");
    }

    private static async Task<Results<Ok<TenantSummary>, ValidationProblem>> UpdateAsync(
        Guid id, UpdateTenantRequest request, TenantService service, CancellationToken ct)
    {
        try
        {
            TenantSummary? summary = null;
            if (request.Name is { } name)
            {
                summary = await service.RenameAsync(id, name, ct);
            }

            if (request.IsActive is { } active)
            {
                summary = await service.SetActiveAsync(id, active, ct);
            }

            return summary is null
                ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tenant"] = ["Send a new 'name', 'isActive', or both."] })
                : TypedResults.Ok(summary);
        }
        catch (TenantValidationException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tenant"] = [e.Message] });
        }
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
