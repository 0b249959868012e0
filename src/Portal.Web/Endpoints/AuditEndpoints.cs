using Portal.Core.Accounts;
using Portal.Core.Audit;

namespace Portal.Web.Endpoints;

public sealed record AuditPage(IReadOnlyList<AuditItem> Items, int Total, int Page, int PageSize);

internal static class AuditEndpoints
{
    public static void MapAuditEndpoints(this RouteGroupBuilder v1) =>
        v1.MapGet("/admin/audit", async (AuditReader audit, DateTimeOffset? from, DateTimeOffset? to, string? action, int? page, int? pageSize, CancellationToken ct) =>
            {
                var query = new AuditQuery(from, to, action, Math.Max(1, page ?? 1), Math.Clamp(pageSize ?? 50, 1, 1000));
                var (items, total) = await audit.ListAsync(query, ct);
                return TypedResults.Ok(new AuditPage(items, total, query.Page, query.PageSize));
            })
            .RequireAuthorization(PortalPolicies.TenantAdmin)
            .WithTags("Administration")
            .WithName("GetAuditLog")
            .WithSummary("The audit log, newest first (TenantAdmin: your tenant; PlatformAdmin: all). Read-only: entries cannot be changed or deleted")
            .WithDescription("from/to: ISO 8601 (default: the last 30 days). action: a prefix such as 'signin.', 'tenant.', 'apikey.', 'dataset.'.");
}
