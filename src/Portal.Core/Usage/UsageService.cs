using System.Globalization;
using System.Linq.Expressions;
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
    /// <remarks>The records stream through (a month of a busy tenant is millions of them); only the sums are kept.</remarks>
    public async Task<(IReadOnlyList<DateOnly> Days, IReadOnlyDictionary<string, long[]> ByTemplate)> DailyAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        var (from, to) = Window(query);
        var first = DateOnly.FromDateTime(from.UtcDateTime);
        var last = DateOnly.FromDateTime(to.AddTicks(-1).UtcDateTime);
        var days = Enumerable.Range(0, Math.Max(1, last.DayNumber - first.DayNumber + 1)).Select(first.AddDays).ToList();
        var byTemplate = new Dictionary<string, long[]>(StringComparer.Ordinal);
        await foreach (var r in Filtered(db, query).Select(r => new { r.Timestamp, r.TemplateId, r.Amount }).AsAsyncEnumerable().WithCancellation(cancellationToken))
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
    /// <remarks>
    /// Summed by the database (GROUP BY) and named afterwards, or for days streamed through: the records of a window are
    /// never all in memory.
    /// </remarks>
    public async Task<IReadOnlyList<UsageGroup>> GroupAsync(UsageQuery query, string groupBy, CancellationToken cancellationToken = default)
    {
        if (!UsageGroupings.All.Contains(groupBy))
        {
            throw new ArgumentException($"groupBy is one of: {string.Join(", ", UsageGroupings.All)}.", nameof(groupBy));
        }

        await using var db = await OpenAsync(cancellationToken);
        var records = Filtered(db, query);
        IEnumerable<UsageGroup> groups;
        switch (groupBy)
        {
            case UsageGroupings.User:
                var byUser = await SumAsync(records, r => r.UserId, cancellationToken);
                var users = await UserNamesAsync(db, byUser.Select(g => g.Key), cancellationToken);
                groups = byUser.Select(g => g.Named(users.GetValueOrDefault(g.Key, g.Key)));
                break;
            case UsageGroupings.ApiKey:
                var byKey = await SumAsync(records, r => r.ApiKeyId, cancellationToken);
                var keys = await KeyNamesAsync(db, byKey.Where(g => g.Key is not null).Select(g => g.Key!.Value), cancellationToken);
                groups = byKey.Select(g => g.Named(g.Key is { } k ? keys.GetValueOrDefault(k, k.ToString()) : "(browser)"));
                break;
            case UsageGroupings.Tenant:
                var byTenant = await SumAsync(records, r => r.TenantId, cancellationToken);
                var tenants = await TenantNamesAsync(db, byTenant.Select(g => g.Key), cancellationToken);
                groups = byTenant.Select(g => g.Named(tenants.GetValueOrDefault(g.Key, g.Key.ToString())));
                break;
            case UsageGroupings.Template:
                groups = (await SumAsync(records, r => r.TemplateId, cancellationToken)).Select(g => g.Named(g.Key ?? "(none)"));
                break;
            case UsageGroupings.Metric:
                groups = (await SumAsync(records, r => r.Metric, cancellationToken)).Select(g => g.Named(g.Key.ToString()));
                break;
            default:
                groups = await ByDayAsync(records, cancellationToken);
                break;
        }

        // Two ids may carry the same name (a renamed key); their sums are shown as one group.
        return [.. groups.GroupBy(g => (g.Key, g.Metric))
            .Select(g => new UsageGroup(g.Key.Key, g.Key.Metric, g.Sum(x => x.Amount), g.Sum(x => x.Records)))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ThenBy(g => g.Metric)];
    }

    /// <summary>A sum of one metric for one value of a column.</summary>
    private sealed record Sum<TKey>(TKey Key, QuotaMetric Metric, long Amount, int Records)
    {
        public UsageGroup Named(string name) => new(name, Metric, Amount, Records);
    }

    /// <summary>One row of the ledger reduced to what a sum needs: the grouping column's value, the metric and the amount.</summary>
    private sealed class Keyed<TKey>
    {
        public TKey Key { get; init; } = default!;

        public QuotaMetric Metric { get; init; }

        public long Amount { get; init; }
    }

    /// <summary>GROUP BY <paramref name="key"/>, metric in the database.</summary>
    private static async Task<List<Sum<TKey>>> SumAsync<TKey>(IQueryable<UsageRecord> records, Expression<Func<UsageRecord, TKey>> key, CancellationToken cancellationToken)
    {
        var record = key.Parameters[0];
        var keyed = Expression.Lambda<Func<UsageRecord, Keyed<TKey>>>(
            Expression.MemberInit(
                Expression.New(typeof(Keyed<TKey>)),
                Expression.Bind(typeof(Keyed<TKey>).GetProperty(nameof(Keyed<TKey>.Key))!, key.Body),
                Expression.Bind(typeof(Keyed<TKey>).GetProperty(nameof(Keyed<TKey>.Metric))!, Expression.Property(record, nameof(UsageRecord.Metric))),
                Expression.Bind(typeof(Keyed<TKey>).GetProperty(nameof(Keyed<TKey>.Amount))!, Expression.Property(record, nameof(UsageRecord.Amount)))),
            record);
        var sums = await records.Select(keyed)
            .GroupBy(r => new { r.Key, r.Metric })
            .Select(g => new { g.Key.Key, g.Key.Metric, Amount = g.Sum(r => r.Amount), Records = g.Count() })
            .ToListAsync(cancellationToken);
        return [.. sums.Select(s => new Sum<TKey>(s.Key, s.Metric, s.Amount, s.Records))];
    }

    /// <summary>Sums per UTC day, the records streamed through (the stored time is not a date the database can group on everywhere).</summary>
    private static async Task<IEnumerable<UsageGroup>> ByDayAsync(IQueryable<UsageRecord> records, CancellationToken cancellationToken)
    {
        var sums = new Dictionary<(DateOnly, QuotaMetric), (long Amount, int Records)>();
        await foreach (var r in records.Select(r => new { r.Timestamp, r.Metric, r.Amount }).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var key = (DateOnly.FromDateTime(r.Timestamp.UtcDateTime), r.Metric);
            var (amount, count) = sums.GetValueOrDefault(key);
            sums[key] = (amount + r.Amount, count + 1);
        }

        return sums.Select(s => new UsageGroup(s.Key.Item1.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), s.Key.Item2, s.Value.Amount, s.Value.Records));
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
        // Times are stored in UTC; a window given with another offset (an API caller's "+08:00") is the same instants.
        var now = clock.GetUtcNow();
        return ((query.From ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero)).ToUniversalTime(), (query.To ?? now.AddSeconds(1)).ToUniversalTime());
    }

    private sealed record Names(Dictionary<Guid, string> Tenants, Dictionary<string, string> Users, Dictionary<Guid, string> Keys);

    private static async Task<Names> NamesAsync(PortalDbContext db, IReadOnlyCollection<UsageRecord> records, CancellationToken cancellationToken) => new(
        await TenantNamesAsync(db, records.Select(r => r.TenantId), cancellationToken),
        await UserNamesAsync(db, records.Select(r => r.UserId), cancellationToken),
        await KeyNamesAsync(db, records.Where(r => r.ApiKeyId is not null).Select(r => r.ApiKeyId!.Value), cancellationToken));

    private static async Task<Dictionary<Guid, string>> TenantNamesAsync(PortalDbContext db, IEnumerable<Guid> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.Distinct().ToList();
        return await db.Tenants.AsNoTracking().Where(t => wanted.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, cancellationToken);
    }

    private static async Task<Dictionary<string, string>> UserNamesAsync(PortalDbContext db, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.Distinct().ToList();
        return await db.Users.AsNoTracking().Where(u => wanted.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, cancellationToken);
    }

    private static async Task<Dictionary<Guid, string>> KeyNamesAsync(PortalDbContext db, IEnumerable<Guid> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.Distinct().ToList();
        return await db.ApiKeys.AsNoTracking().Where(k => wanted.Contains(k.Id)).ToDictionaryAsync(k => k.Id, k => $"{k.Name} ({k.Prefix}…)", cancellationToken);
    }
}
