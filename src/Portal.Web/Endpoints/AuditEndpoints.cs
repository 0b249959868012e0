using Portal.Core.Accounts;
using Portal.Core.Audit;

namespace Portal.Web.Endpoints;

public sealed record AuditPage(IReadOnlyList<AuditItem> Items, int Total, int Page, int PageSize);

internal static class AuditEndpoints
{
    /// <summary>The browser's CSV export of the audit page (cookie-authenticated, outside the API).</summary>
    public static void MapAuditDownloads(this IEndpointRouteBuilder app) =>
        app.MapGet("/admin/audit/export.csv", ExportAsync).RequireAuthorization(PortalPolicies.TenantAdmin).ExcludeFromDescription();

    public static void MapAuditEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/admin/audit/export.csv", ExportAsync)
            .RequireAuthorization(PortalPolicies.TenantAdmin)
            .WithTags("Administration")
            .WithName("ExportAuditLog")
            .WithSummary("The filtered audit log as CSV (same filters as GET /admin/audit, all pages)");
        MapList(v1);
    }

    private static async Task ExportAsync(HttpContext context, AuditReader audit, TimeProvider clock, DateTimeOffset? from, DateTimeOffset? to, string? action, string? search, CancellationToken ct)
    {
        var query = new AuditQuery(from, to, action, Search: search);
        _ = await audit.ListAsync(query with { PageSize = 1 }, ct); // refuses non-admins before any byte is written
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{clock.GetUtcNow():yyyyMMdd}.csv\"";
        await AuditReader.WriteCsvAsync(context.Response.Body, audit.AllAsync(query, ct), ct);
    }

    private static void MapList(RouteGroupBuilder v1) =>
        v1.MapGet("/admin/audit", async (AuditReader audit, DateTimeOffset? from, DateTimeOffset? to, string? action, string? search, int? page, int? pageSize, CancellationToken ct) =>
            {
                var query = new AuditQuery(from, to, action, Math.Max(1, page ?? 1), Math.Clamp(pageSize ?? 50, 1, 1000), search);
                var (items, total) = await audit.ListAsync(query, ct);
                return TypedResults.Ok(new AuditPage(items, total, query.Page, query.PageSize));
            })
            .RequireAuthorization(PortalPolicies.TenantAdmin)
            .WithTags("Administration")
            .WithName("GetAuditLog")
            .WithSummary("The audit log, newest first (TenantAdmin: your tenant; PlatformAdmin: all). Read-only: entries cannot be changed or deleted")
            .WithDescription("from/to: ISO 8601 (default: the last 30 days). action: a prefix such as 'signin.', 'tenant.', 'apikey.', 'dataset.', 'quota.', 'member.', 'templates.'. search: text in the target, before/after values, address or the actor's e-mail.");
}
