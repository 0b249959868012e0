using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Accounts;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Usage;

/// <summary>Which usage records to read: a time window (default: the current month), optionally one metric.</summary>
/// <param name="FailedOnly">Only calls that were refused by a limit or failed (nothing charged).</param>
/// <param name="UserId">Only one user's records (within the caller's reach).</param>
/// <param name="OwnTenantOnly">Only the caller's organisation, also for platform admins (the organisation's pages).</param>
public sealed record UsageQuery(
    DateTimeOffset? From = null, DateTimeOffset? To = null, QuotaMetric? Metric = null, int Page = 1, int PageSize = 100,
    bool FailedOnly = false, string? UserId = null, bool OwnTenantOnly = false);

/// <summary>One tenant's consumption in a window, for the platform view.</summary>
public sealed record TenantUsageSummary(
    Guid TenantId, string Tenant, bool IsActive, string Plan, IReadOnlyDictionary<QuotaMetric, long> Amounts, int ActiveUsers, int Runs, int FailedCalls);

/// <summary>One usage record as people read it: names instead of ids.</summary>
public sealed record UsageItem(
    DateTimeOffset Timestamp, string Tenant, string User, string? ApiKey, string? TemplateId, QuotaMetric Metric, long Amount,
    UsageOutcome Outcome, UsageChannel Channel, long DurationMs);

/// <summary>The sum of one metric in one group (a day, a user, a template, or the metric itself).</summary>
public sealed record UsageGroup(string Key, QuotaMetric Metric, long Amount, int Records);

/// <summary>How usage can be grouped.</summary>
public static class UsageGroupings
{
    public const string Day = "day";
    public const string User = "user";
    public const string Template = "template";
    public const string Metric = "metric";
    public const string ApiKey = "apiKey";
    public const string Tenant = "tenant";

    public static IReadOnlyList<string> All { get; } = [Day, User, Template, Metric, ApiKey, Tenant];
}

/// <summary>
/// Reads the usage ledger with the caller's reach: their own records; a tenant admin's tenant; a platform admin's
/// every tenant. Sums are computed from the same records the list shows, so the two always agree.
/// </summary>
public sealed class UsageService(IDbContextFactory<PortalDbContext> tenantDb, SystemDbContextFactory systemDb, ITenantContext tenant, TimeProvider clock)
{
    public async Task<(IReadOnlyList<UsageItem> Items, bool HasMore)> ListAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        var size = Math.Clamp(query.PageSize, 1, 1000);
        var records = await Filtered(db, query)
            .OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id)
            .Skip((Math.Max(1, query.Page) - 1) * size).Take(size + 1)
            .ToListAsync(cancellationToken);
        var page = records.Take(size).ToList();
        var names = await NamesAsync(db, page, cancellationToken);
        return ([.. page.Select(r => new UsageItem(
            r.Timestamp, names.Tenants.GetValueOrDefault(r.TenantId, r.TenantId.ToString()), names.Users.GetValueOrDefault(r.UserId, r.UserId),
            r.ApiKeyId is { } k ? names.Keys.GetValueOrDefault(k, k.ToString()) : null, r.TemplateId, r.Metric, r.Amount, r.Outcome, r.Channel, r.DurationMs))],
            records.Count > size);
    }

    /// <summary>How many records the query matches (for paged tables).</summary>
    public async Task<int> CountAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        return await Filtered(db, query).CountAsync(cancellationToken);
    }

    /// <summary>Every matching record, newest first, read a page at a time (exports).</summary>
    public async IAsyncEnumerable<UsageItem> AllAsync(UsageQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var page = 1; ; page++)
        {
            var (items, more) = await ListAsync(query with { Page = page, PageSize = 1000 }, cancellationToken);
            foreach (var item in items)
            {
                yield return item;
            }

            if (!more)
            {
                yield break;
            }
        }
    }

    /// <summary>One metric per UTC day and template over the window: the days (oldest first) and, per template, a sum per day.</summary>
    public async Task<(IReadOnlyList<DateOnly> Days, IReadOnlyDictionary<string, long[]> ByTemplate)> DailyAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        var records = await Filtered(db, query).Select(r => new { r.Timestamp, r.TemplateId, r.Amount }).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var first = DateOnly.FromDateTime((query.From ?? records.Select(r => r.Timestamp).DefaultIfEmpty(now).Min()).UtcDateTime);
        var last = DateOnly.FromDateTime((query.To ?? now).UtcDateTime);
        var days = Enumerable.Range(0, Math.Max(1, last.DayNumber - first.DayNumber + 1)).Select(first.AddDays).ToList();
        var byTemplate = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            var at = DateOnly.FromDateTime(r.Timestamp.UtcDateTime).DayNumber - first.DayNumber;
            if (at < 0 || at >= days.Count)
            {
                continue;
            }

            var key = r.TemplateId ?? string.Empty;
            if (!byTemplate.TryGetValue(key, out var sums))
            {
                byTemplate[key] = sums = new long[days.Count];
            }

            sums[at] += r.Amount;
        }

        return (days, byTemplate);
    }

    /// <summary>Sums per group and metric over the whole window (not paged).</summary>
    public async Task<IReadOnlyList<UsageGroup>> GroupAsync(UsageQuery query, string groupBy, CancellationToken cancellationToken = default)
    {
        if (!UsageGroupings.All.Contains(groupBy))
        {
            throw new ArgumentException($"groupBy is one of: {string.Join(", ", UsageGroupings.All)}.", nameof(groupBy));
        }

        await using var db = await OpenAsync(cancellationToken);
        var records = await Filtered(db, query).AsNoTracking().ToListAsync(cancellationToken);
        var names = groupBy is UsageGroupings.User or UsageGroupings.ApiKey or UsageGroupings.Tenant ? await NamesAsync(db, records, cancellationToken) : null;
        string Key(UsageRecord r) => groupBy switch
        {
            UsageGroupings.Day => r.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            UsageGroupings.User => names!.Users.GetValueOrDefault(r.UserId, r.UserId),
            UsageGroupings.ApiKey => r.ApiKeyId is { } k ? names!.Keys.GetValueOrDefault(k, k.ToString()) : "(browser)",
            UsageGroupings.Tenant => names!.Tenants.GetValueOrDefault(r.TenantId, r.TenantId.ToString()),
            UsageGroupings.Template => r.TemplateId ?? "(none)",
            _ => r.Metric.ToString(),
        };

        return [.. records.GroupBy(r => (Key: Key(r), r.Metric))
            .Select(g => new UsageGroup(g.Key.Key, g.Key.Metric, g.Sum(r => r.Amount), g.Count()))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ThenBy(g => g.Metric)];
    }

    /// <summary>Every tenant side by side over the window (PlatformAdmin): amounts per metric, active users, runs, failed calls.</summary>
    public async Task<IReadOnlyList<TenantUsageSummary>> PlatformAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        if (!Caller.IsPlatformAdmin)
        {
            throw new UnauthorizedAccessException("Only a platform administrator sees every tenant.");
        }

        await using var db = systemDb.CreateDbContext();
        var (from, to) = Window(query);
        var sums = await db.UsageRecords.AsNoTracking()
            .Where(r => r.Timestamp >= from && r.Timestamp < to)
            .GroupBy(r => new { r.TenantId, r.Metric })
            .Select(g => new { g.Key.TenantId, g.Key.Metric, Amount = g.Sum(r => r.Amount), Failed = g.Count(r => r.Outcome == UsageOutcome.Failed || r.Outcome == UsageOutcome.Refused) })
            .ToListAsync(cancellationToken);
        var users = await db.UsageRecords.AsNoTracking()
            .Where(r => r.Timestamp >= from && r.Timestamp < to)
            .Select(r => new { r.TenantId, r.UserId }).Distinct()
            .GroupBy(r => r.TenantId).Select(g => new { TenantId = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var runs = await db.Runs.AsNoTracking()
            .Where(r => r.CreatedAt >= from && r.CreatedAt < to)
            .GroupBy(r => r.TenantId).Select(g => new { TenantId = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var tenants = await db.Tenants.AsNoTracking().Select(t => new { t.Id, t.Name, t.IsActive, Plan = t.QuotaPlan!.Name }).ToListAsync(cancellationToken);
        return [.. tenants
            .Select(t => new TenantUsageSummary(
                t.Id, t.Name, t.IsActive, t.Plan,
                QuotaMetrics.All.ToDictionary(m => m, m => sums.Where(s => s.TenantId == t.Id && s.Metric == m).Sum(s => s.Amount)),
                users.SingleOrDefault(u => u.TenantId == t.Id)?.Count ?? 0,
                runs.SingleOrDefault(r => r.TenantId == t.Id)?.Count ?? 0,
                sums.Where(s => s.TenantId == t.Id).Sum(s => s.Failed)))
            .OrderBy(t => t.Tenant, StringComparer.CurrentCultureIgnoreCase)];
    }

    private async Task<PortalDbContext> OpenAsync(CancellationToken cancellationToken) =>
        Caller.IsPlatformAdmin ? systemDb.CreateDbContext() : await tenantDb.CreateDbContextAsync(cancellationToken);

    private Caller Caller => tenant.Caller ?? throw new TenantAccessException("Usage needs a signed-in caller.");

    /// <summary>The caller's reach (the tenant filter applies to everyone but platform admins), the window and the metric.</summary>
    private IQueryable<UsageRecord> Filtered(PortalDbContext db, UsageQuery query)
    {
        var caller = Caller;
        var (from, to) = Window(query);
        var records = db.UsageRecords.AsNoTracking().Where(r => r.Timestamp >= from && r.Timestamp < to);
        if (!caller.IsPlatformAdmin && !caller.IsInRole(PortalRoles.TenantAdmin))
        {
            records = records.Where(r => r.UserId == caller.UserId);
        }

        if (query.OwnTenantOnly)
        {
            records = records.Where(r => r.TenantId == caller.TenantId);
        }

        if (query.UserId is { } userId)
        {
            records = records.Where(r => r.UserId == userId);
        }

        if (query.FailedOnly)
        {
            records = records.Where(r => r.Outcome == UsageOutcome.Failed || r.Outcome == UsageOutcome.Refused);
        }

        return query.Metric is { } metric ? records.Where(r => r.Metric == metric) : records;
    }

    private (DateTimeOffset From, DateTimeOffset To) Window(UsageQuery query)
    {
        var now = clock.GetUtcNow();
        return (query.From ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero), query.To ?? now.AddSeconds(1));
    }

    private sealed record Names(Dictionary<Guid, string> Tenants, Dictionary<string, string> Users, Dictionary<Guid, string> Keys);

    private static async Task<Names> NamesAsync(PortalDbContext db, IReadOnlyCollection<UsageRecord> records, CancellationToken cancellationToken)
    {
        var tenantIds = records.Select(r => r.TenantId).Distinct().ToList();
        var userIds = records.Select(r => r.UserId).Distinct().ToList();
        var keyIds = records.Where(r => r.ApiKeyId is not null).Select(r => r.ApiKeyId!.Value).Distinct().ToList();
        return new Names(
            await db.Tenants.AsNoTracking().Where(t => tenantIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, cancellationToken),
            await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, cancellationToken),
            await db.ApiKeys.AsNoTracking().Where(k => keyIds.Contains(k.Id)).ToDictionaryAsync(k => k.Id, k => $"{k.Name} ({k.Prefix}…)", cancellationToken));
    }
}
