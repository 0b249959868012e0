using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Accounts;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Usage;

/// <summary>Which usage records to read: a time window (default: the current month), optionally one metric.</summary>
public sealed record UsageQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, QuotaMetric? Metric = null, int Page = 1, int PageSize = 100);

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

    public static IReadOnlyList<string> All { get; } = [Day, User, Template, Metric];
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
        var names = groupBy == UsageGroupings.User ? await NamesAsync(db, records, cancellationToken) : null;
        string Key(UsageRecord r) => groupBy switch
        {
            UsageGroupings.Day => r.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            UsageGroupings.User => names!.Users.GetValueOrDefault(r.UserId, r.UserId),
            UsageGroupings.Template => r.TemplateId ?? "(none)",
            _ => r.Metric.ToString(),
        };

        return [.. records.GroupBy(r => (Key: Key(r), r.Metric))
            .Select(g => new UsageGroup(g.Key.Key, g.Key.Metric, g.Sum(r => r.Amount), g.Count()))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ThenBy(g => g.Metric)];
    }

    private async Task<PortalDbContext> OpenAsync(CancellationToken cancellationToken) =>
        Caller.IsPlatformAdmin ? systemDb.CreateDbContext() : await tenantDb.CreateDbContextAsync(cancellationToken);

    private Caller Caller => tenant.Caller ?? throw new TenantAccessException("Usage needs a signed-in caller.");

    /// <summary>The caller's reach (the tenant filter applies to everyone but platform admins), the window and the metric.</summary>
    private IQueryable<UsageRecord> Filtered(PortalDbContext db, UsageQuery query)
    {
        var caller = Caller;
        var now = clock.GetUtcNow();
        var from = query.From ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var to = query.To ?? now.AddSeconds(1);
        var records = db.UsageRecords.AsNoTracking().Where(r => r.Timestamp >= from && r.Timestamp < to);
        if (!caller.IsPlatformAdmin && !caller.IsInRole(PortalRoles.TenantAdmin))
        {
            records = records.Where(r => r.UserId == caller.UserId);
        }

        return query.Metric is { } metric ? records.Where(r => r.Metric == metric) : records;
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
