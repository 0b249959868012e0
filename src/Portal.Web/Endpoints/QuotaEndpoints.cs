using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Core.Accounts;
using Portal.Core.Quotas;

namespace Portal.Web.Endpoints;

/// <summary>One metric's limits: per month (or total for storage), per day, per minute (requests only). Null: no limit at this level.</summary>
public sealed record LimitRequest(long? Period, long? Daily, long? PerMinute)
{
    public LimitValues Values => new(Period, Daily, PerMinute);
}

/// <summary>A plan: its name and limits per metric (metrics left out are unlimited).</summary>
public sealed record PlanRequest(string Name, Dictionary<QuotaMetric, LimitRequest>? Limits)
{
    public IReadOnlyDictionary<QuotaMetric, LimitValues> Values => (Limits ?? []).ToDictionary(l => l.Key, l => l.Value.Values);
}

public sealed record AssignPlanRequest(string Plan);

/// <summary>Administration of the limit hierarchy platform plan → tenant → user → API key; every change is audited.</summary>
internal static class QuotaEndpoints
{
    public static void MapQuotaEndpoints(this RouteGroupBuilder v1)
    {
        var platform = v1.MapGroup("/admin").WithTags("Administration").RequireAuthorization(PortalPolicies.PlatformAdmin);
        platform.MapGet("/plans", async (QuotaAdminService s, CancellationToken ct) => TypedResults.Ok(await s.ListPlansAsync(ct)))
            .WithName("ListPlans").WithSummary("Quota plans with their limits and how many tenants use them (PlatformAdmin)");
        platform.MapPost("/plans", async (PlanRequest r, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Created($"{ApiPaths.V1}/admin/plans", await s.SavePlanAsync(null, r.Name ?? string.Empty, r.Values, ct)))
            .WithName("CreatePlan").WithSummary("Create a plan (PlatformAdmin)");
        platform.MapPut("/plans/{id:guid}", async (Guid id, PlanRequest r, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SavePlanAsync(id, r.Name ?? string.Empty, r.Values, ct)))
            .WithName("UpdatePlan").WithSummary("Rename a plan and replace its limits (PlatformAdmin)");
        platform.MapPut("/tenants/{id:guid}/plan", async (Guid id, AssignPlanRequest r, QuotaAdminService s, CancellationToken ct) =>
            {
                await s.AssignPlanAsync(id, r.Plan ?? string.Empty, ct);
                return TypedResults.Ok(await s.GetTenantLimitsAsync(id, ct));
            })
            .WithName("AssignPlan").WithSummary("Put a tenant on a plan (PlatformAdmin)");
        platform.MapGet("/tenants/{id:guid}/limits", async (Guid id, QuotaAdminService s, CancellationToken ct) => TypedResults.Ok(await s.GetTenantLimitsAsync(id, ct)))
            .WithName("GetTenantLimits").WithSummary("A tenant's plan limits, overrides and what binds (PlatformAdmin)");
        platform.MapPut("/tenants/{id:guid}/limits/{metric}", async (Guid id, QuotaMetric metric, LimitRequest r, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SetTenantOverrideAsync(id, metric, r.Values, ct)))
            .WithName("SetTenantLimit").WithSummary("Override a tenant's plan for one metric, up or down (PlatformAdmin)");
        platform.MapDelete("/tenants/{id:guid}/limits/{metric}", async (Guid id, QuotaMetric metric, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SetTenantOverrideAsync(id, metric, null, ct)))
            .WithName("ClearTenantLimit").WithSummary("Return a tenant to its plan's limit for one metric (PlatformAdmin)");

        var tenant = v1.MapGroup("/admin/limits").WithTags("Administration").RequireAuthorization(PortalPolicies.TenantAdmin);
        tenant.MapGet("/users", async (QuotaAdminService s, CancellationToken ct) => TypedResults.Ok(await s.ListUserLimitsAsync(ct)))
            .WithName("ListUserLimits").WithSummary("Every member's own and binding limits (TenantAdmin)");
        tenant.MapGet("/users/{userId}", async (string userId, QuotaAdminService s, CancellationToken ct) => TypedResults.Ok(await s.GetUserLimitsAsync(userId, ct)))
            .WithName("GetUserLimits").WithSummary("A member's own and binding limits (TenantAdmin)");
        tenant.MapPut("/users/{userId}/{metric}", async (string userId, QuotaMetric metric, LimitRequest r, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SetUserLimitAsync(userId, metric, r.Values, ct)))
            .WithName("SetUserLimit").WithSummary("Set a member's limit for one metric, at most the organisation's (TenantAdmin)");
        tenant.MapDelete("/users/{userId}/{metric}", async (string userId, QuotaMetric metric, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SetUserLimitAsync(userId, metric, null, ct)))
            .WithName("ClearUserLimit").WithSummary("Remove a member's own limit for one metric (TenantAdmin)");
        tenant.MapGet("/keys/{keyId:guid}", async (Guid keyId, QuotaAdminService s, CancellationToken ct) => TypedResults.Ok(await s.GetKeyLimitsAsync(keyId, ct)))
            .WithName("GetKeyLimits").WithSummary("An API key's own and binding limits (TenantAdmin)");
        tenant.MapPut("/keys/{keyId:guid}/{metric}", async (Guid keyId, QuotaMetric metric, LimitRequest r, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SetKeyLimitAsync(keyId, metric, r.Values, ct)))
            .WithName("SetKeyLimit").WithSummary("Set an API key's limit (e.g. requests per minute, a monthly cap), at most its owner's (TenantAdmin)");
        tenant.MapDelete("/keys/{keyId:guid}/{metric}", async (Guid keyId, QuotaMetric metric, QuotaAdminService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SetKeyLimitAsync(keyId, metric, null, ct)))
            .WithName("ClearKeyLimit").WithSummary("Remove an API key's own limit for one metric (TenantAdmin)");
    }
}
