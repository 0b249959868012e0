using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Portal.Core.Quotas;
using Portal.Core.Usage;

namespace Portal.Web.Endpoints;

public sealed record UsagePage(IReadOnlyList<UsageItem> Items, string? NextPage);

public sealed record UsageGroups(string GroupBy, DateTimeOffset? From, DateTimeOffset? To, IReadOnlyList<UsageGroup> Groups);

internal static class UsageEndpoints
{
    /// <summary>The browser's CSV export of the usage page (cookie-authenticated, outside the API): the last <c>days</c> days.</summary>
    public static void MapUsageDownloads(this IEndpointRouteBuilder app) =>
        app.MapGet("/usage/export.csv", async (HttpContext context, UsageService usage, TimeProvider clock, int? days, QuotaMetric? metric, CancellationToken ct) =>
            {
                var to = clock.GetUtcNow();
                var query = new UsageQuery(to.AddDays(-Math.Clamp(days ?? 30, 1, 366)), to.AddSeconds(1), metric);
                context.Response.ContentType = "text/csv; charset=utf-8";
                context.Response.Headers.ContentDisposition = $"attachment; filename=\"usage-{to:yyyyMMdd}.csv\"";
                await using var writer = new StreamWriter(context.Response.Body, new System.Text.UTF8Encoding(true), 16 * 1024, leaveOpen: true);
                await writer.WriteLineAsync("timestamp,tenant,user,apiKey,templateId,metric,amount,outcome,channel,durationMs");
                await foreach (var i in usage.AllAsync(query, ct))
                {
                    await writer.WriteLineAsync(string.Join(',',
                        i.Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture), Portal.Core.Runs.RunExport.Csv(i.Tenant), Portal.Core.Runs.RunExport.Csv(i.User),
                        Portal.Core.Runs.RunExport.Csv(i.ApiKey ?? string.Empty), Portal.Core.Runs.RunExport.Csv(i.TemplateId ?? string.Empty), i.Metric,
                        i.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture), i.Outcome, i.Channel, i.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
            })
            .RequireAuthorization(Portal.Core.Accounts.PortalPolicies.SignedIn)
            .ExcludeFromDescription();

    public static void MapUsageEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/admin/usage/tenants", async (UsageService usage, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct) =>
                TypedResults.Ok(await usage.PlatformAsync(new UsageQuery(from, to), ct)))
            .RequireAuthorization(Portal.Core.Accounts.PortalPolicies.PlatformAdmin)
            .WithTags("Administration")
            .WithName("GetPlatformUsage")
            .WithSummary("Every tenant side by side over the window: amounts per metric, active users, runs, failed calls (PlatformAdmin)");
        MapList(v1);
    }

    private static void MapList(RouteGroupBuilder v1) =>
        v1.MapGet("/usage", GetAsync)
            .WithTags("Usage")
            .WithName("GetUsage")
            .WithSummary("Usage records you may see (yours; a TenantAdmin's: the tenant's; a PlatformAdmin's: all), newest first, or their sums with groupBy")
            .WithDescription("from/to: ISO 8601 (default: this calendar month, UTC). metric: Requests, PredictionRows, LlmTokens or StorageBytes. failedOnly=true: only calls refused by a limit or failed. userId: one member (admins). groupBy: day, user, template, metric, apiKey or tenant — then the answer is the sum per group and metric. Without groupBy, pages of pageSize (≤ 1,000) with nextPage.");

    private static async Task<Results<Ok<UsagePage>, Ok<UsageGroups>, ValidationProblem>> GetAsync(
        HttpRequest request, UsageService usage, DateTimeOffset? from, DateTimeOffset? to, QuotaMetric? metric, string? groupBy, int? page, int? pageSize,
        bool? failedOnly, string? userId, CancellationToken ct)
    {
        if (from is { } f && to is { } t && f >= t)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["from"] = ["'from' must be before 'to'."] });
        }

        var query = new UsageQuery(from, to, metric, Math.Max(1, page ?? 1), Math.Clamp(pageSize ?? 100, 1, 1000), failedOnly == true, userId);
        if (groupBy is not null)
        {
            if (!UsageGroupings.All.Contains(groupBy))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["groupBy"] = [$"groupBy is one of: {string.Join(", ", UsageGroupings.All)}."] });
            }

            return TypedResults.Ok(new UsageGroups(groupBy, from, to, await usage.GroupAsync(query, groupBy, ct)));
        }

        var (items, more) = await usage.ListAsync(query, ct);
        var next = more
            ? QueryHelpers.AddQueryString($"{ApiPaths.V1}/usage", request.Query
                .Where(q => q.Key != "page").SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
                .Append(new("page", (query.Page + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))))
            : null;
        return TypedResults.Ok(new UsagePage(items, next));
    }
}
