using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Data;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Quotas;

/// <summary>
/// Reserves, settles and releases metered work against the tightest applicable limits (tenant plan, tenant day cap,
/// user limit, user day cap). Each reservation is one transaction of conditional UPDATEs, so concurrent callers can
/// never together exceed a limit.
/// </summary>
public sealed class QuotaService(
    IDbContextFactory<PortalDbContext> dbFactory,
    ITenantContext tenantContext,
    TimeProvider clock,
    IOptions<QuotaOptions> options) : IQuotaService
{
    private sealed record Target(string Scope, string ScopeKind, string Period, string PeriodKind, long? Limit, DateTimeOffset? ResetsAt)
    {
        public string Key => Scope + "@" + Period;
    }

    public Task<QuotaLease> ReserveAsync(QuotaMetric metric, long amount, string? templateId = null, CancellationToken cancellationToken = default) =>
        ReserveAsync(metric, amount, templateId, options.Value.ReservationTimeout, cancellationToken);

    public QuotaLease Resume(Guid reservationId, QuotaMetric metric, long amount) => new(this, reservationId, metric, amount, clock.GetTimestamp());

    public async Task<QuotaLease> ReserveAsync(QuotaMetric metric, long amount, string? templateId, TimeSpan hold, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        var caller = RequireCaller();
        var started = clock.GetTimestamp();
        var now = clock.GetUtcNow();

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var targets = await ResolveTargetsAsync(db, caller, metric, now, cancellationToken);
        await EnsureCountersAsync(db, caller.TenantId, metric, targets, cancellationToken);

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var t in targets)
        {
            var m = (int)metric;
            var granted = t.Limit is { } limit
                ? await db.Database.ExecuteSqlAsync(
                    $"""UPDATE "QuotaCounters" SET "Reserved" = "Reserved" + {amount} WHERE "Scope" = {t.Scope} AND "Metric" = {m} AND "Period" = {t.Period} AND "Used" + "Reserved" + {amount} <= {limit}""",
                    cancellationToken)
                : await db.Database.ExecuteSqlAsync(
                    $"""UPDATE "QuotaCounters" SET "Reserved" = "Reserved" + {amount} WHERE "Scope" = {t.Scope} AND "Metric" = {m} AND "Period" = {t.Period}""",
                    cancellationToken);
            if (granted == 0)
            {
                await tx.RollbackAsync(cancellationToken);
                var counter = await db.QuotaCounters.AsNoTracking()
                    .SingleAsync(c => c.Scope == t.Scope && c.Metric == metric && c.Period == t.Period, cancellationToken);

                // The refusal is part of the ledger (nothing charged), so admins see who hit which limit.
                db.UsageRecords.Add(NewUsage(caller, metric, 0, templateId, 0, UsageOutcome.Refused));
                await db.SaveChangesAsync(cancellationToken);
                throw new QuotaExceededException(new QuotaDenial(
                    metric, t.ScopeKind, t.PeriodKind, t.Limit ?? 0, counter.Used + counter.Reserved, amount, t.ResetsAt));
            }
        }

        var record = new QuotaReservationRecord
        {
            TenantId = caller.TenantId,
            UserId = caller.UserId,
            ApiKeyId = caller.ApiKeyId,
            TemplateId = templateId,
            Metric = metric,
            Amount = amount,
            Counters = string.Join(';', targets.Select(t => t.Key)),
            CreatedAt = now,
            ExpiresAt = now + hold,
        };
        db.QuotaReservations.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new QuotaLease(this, record.Id, metric, amount, started);
    }

    public async Task CreditAsync(QuotaMetric metric, long amount, string ownerId, string? templateId = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        if (!metric.IsRunningTotal())
        {
            throw new ArgumentException($"{metric} is counted per period and cannot be credited back.", nameof(metric));
        }

        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var m = (int)metric;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var scope in new[] { TenantScope(caller.TenantId), UserScope(ownerId) })
        {
            await db.Database.ExecuteSqlAsync(
                $"""UPDATE "QuotaCounters" SET "Used" = CASE WHEN "Used" > {amount} THEN "Used" - {amount} ELSE 0 END WHERE "Scope" = {scope} AND "Metric" = {m} AND "Period" = {QuotaPeriods.Total}""",
                cancellationToken);
        }

        // The ledger shows the owner's storage going down, whoever deleted the data.
        var key = ownerId == caller.UserId ? caller.ApiKeyId : null;
        db.UsageRecords.Add(Usage(caller.TenantId, ownerId, key, metric, -amount, templateId, 0, UsageOutcome.Succeeded, clock.GetUtcNow()));
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<QuotaStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var scopes = new List<string> { TenantScope(caller.TenantId), UserScope(caller.UserId) };
        if (caller.ApiKeyId is { } keyId)
        {
            scopes.Add(KeyScope(keyId));
        }

        var periods = new[] { QuotaPeriods.Month(now), QuotaPeriods.Day(now), QuotaPeriods.Total };
        var counters = await db.QuotaCounters.AsNoTracking()
            .Where(c => scopes.Contains(c.Scope) && periods.Contains(c.Period))
            .ToListAsync(cancellationToken);

        var limits = await QuotaLimitChain.LoadAsync(db, caller.TenantId, caller.UserId, caller.ApiKeyId, cancellationToken);
        var tenantLines = new List<QuotaUsageLine>();
        var userLines = new List<QuotaUsageLine>();
        var keyLines = new List<QuotaUsageLine>();
        foreach (var metric in QuotaMetrics.All)
        {
            var targets = Targets(caller, metric, now, limits);
            tenantLines.Add(Line(metric, "tenant", targets, counters));
            userLines.Add(Line(metric, "user", targets, counters));
            if (caller.ApiKeyId is not null)
            {
                keyLines.Add(Line(metric, "key", targets, counters));
            }
        }

        return new QuotaStatus(tenantLines, userLines, keyLines);
    }

    /// <summary>
    /// Requests per minute allowed to the caller as a user and, for a call with an API key, to that key: the tightest of
    /// the plan (or the tenant's override), the user's and the key's own limit. Null: no rate limit at that level.
    /// </summary>
    public async Task<(long? User, long? Key)> GetRateLimitsAsync(CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var limits = await QuotaLimitChain.LoadAsync(db, caller.TenantId, caller.UserId, caller.ApiKeyId, cancellationToken);
        var user = limits.Tenant(QuotaMetric.Requests).Tighten(limits.User(QuotaMetric.Requests));
        var key = user.Tighten(limits.Key(QuotaMetric.Requests));
        return (user.PerMinute, caller.ApiKeyId is null ? null : key.PerMinute);
    }

    /// <summary>Returns reservations whose work never settled (a crash or a lost process). Run by a background sweeper.</summary>
    public static async Task<int> ReleaseExpiredAsync(PortalDbContext systemDb, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expired = await systemDb.QuotaReservations.Where(r => r.ExpiresAt < now).ToListAsync(cancellationToken);
        foreach (var r in expired)
        {
            await using var tx = await systemDb.Database.BeginTransactionAsync(cancellationToken);
            await ApplyAsync(systemDb, r.Metric, r.Counters, r.Amount, 0, cancellationToken);
            systemDb.QuotaReservations.Remove(r);
            systemDb.UsageRecords.Add(Usage(
                r.TenantId, r.UserId, r.ApiKeyId, r.Metric, 0, r.TemplateId, (long)(now - r.CreatedAt).TotalMilliseconds, UsageOutcome.Failed, now));
            await systemDb.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        return expired.Count;
    }

    internal async Task CompleteAsync(QuotaLease lease, long actual, UsageOutcome outcome, long startedTimestamp)
    {
        // Settlement is not cancellable: once work has happened, its charge (or its release) must be recorded.
        var ct = CancellationToken.None;
        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var record = await db.QuotaReservations.SingleOrDefaultAsync(r => r.Id == lease.Id, ct);
        if (record is not null)
        {
            await ApplyAsync(db, lease.Metric, record.Counters, lease.Amount, actual, ct);
            db.QuotaReservations.Remove(record);
        }
        else if (actual > 0)
        {
            // The sweeper already returned the reservation; charge what was done against the current periods.
            var targets = await ResolveTargetsAsync(db, caller, lease.Metric, clock.GetUtcNow(), ct);
            await EnsureCountersAsync(db, caller.TenantId, lease.Metric, targets, ct);
            await ApplyAsync(db, lease.Metric, string.Join(';', targets.Select(t => t.Key)), 0, actual, ct);
        }

        var elapsed = clock.GetElapsedTime(startedTimestamp);
        db.UsageRecords.Add(NewUsage(caller, lease.Metric, actual, record?.TemplateId, (long)elapsed.TotalMilliseconds, outcome));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private static async Task ApplyAsync(PortalDbContext db, QuotaMetric metric, string counters, long held, long actual, CancellationToken ct)
    {
        var m = (int)metric;
        foreach (var key in counters.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = key.LastIndexOf('@');
            var scope = key[..at];
            var period = key[(at + 1)..];
            await db.Database.ExecuteSqlAsync(
                $"""UPDATE "QuotaCounters" SET "Reserved" = CASE WHEN "Reserved" > {held} THEN "Reserved" - {held} ELSE 0 END, "Used" = "Used" + {actual} WHERE "Scope" = {scope} AND "Metric" = {m} AND "Period" = {period}""",
                ct);
        }
    }

    private UsageRecord NewUsage(Caller caller, QuotaMetric metric, long amount, string? templateId, long durationMs, UsageOutcome outcome) =>
        Usage(caller.TenantId, caller.UserId, caller.ApiKeyId, metric, amount, templateId, durationMs, outcome, clock.GetUtcNow());

    private static UsageRecord Usage(
        Guid tenantId, string userId, Guid? apiKeyId, QuotaMetric metric, long amount, string? templateId, long durationMs, UsageOutcome outcome, DateTimeOffset at) => new()
    {
        TenantId = tenantId,
        UserId = userId,
        ApiKeyId = apiKeyId,
        Channel = apiKeyId is null ? UsageChannel.Ui : UsageChannel.Api,
        TemplateId = templateId,
        Metric = metric,
        Amount = amount,
        DurationMs = durationMs,
        Outcome = outcome,
        Timestamp = at,
    };

    private Caller RequireCaller() =>
        tenantContext.Caller ?? throw new InvalidOperationException("Metered work needs a signed-in caller.");

    private static string TenantScope(Guid tenantId) => "tenant:" + tenantId.ToString("N");

    private static string UserScope(string userId) => "user:" + userId;

    private static string KeyScope(Guid keyId) => "key:" + keyId.ToString("N");

    private static async Task<List<Target>> ResolveTargetsAsync(
        PortalDbContext db, Caller caller, QuotaMetric metric, DateTimeOffset now, CancellationToken ct) =>
        Targets(caller, metric, now, await QuotaLimitChain.LoadAsync(db, caller.TenantId, caller.UserId, caller.ApiKeyId, ct));

    /// <summary>
    /// The counters a reservation of <paramref name="metric"/> must fit in, each with its limit (null: unlimited): the
    /// tenant's (plan or override), the user's and, for calls with an API key, the key's, per month and per day.
    /// </summary>
    private static List<Target> Targets(Caller caller, QuotaMetric metric, DateTimeOffset now, CallerLimits limits)
    {
        var levels = new List<(string Scope, string Kind, LimitValues Limit)>
        {
            (TenantScope(caller.TenantId), "tenant", limits.Tenant(metric)),
            (UserScope(caller.UserId), "user", limits.User(metric)),
        };
        if (caller.ApiKeyId is { } keyId)
        {
            levels.Add((KeyScope(keyId), "key", limits.Key(metric)));
        }

        if (metric.IsRunningTotal())
        {
            return [.. levels.Select(l => new Target(l.Scope, l.Kind, QuotaPeriods.Total, "total", l.Limit.Period, null))];
        }

        var month = QuotaPeriods.Month(now);
        var day = QuotaPeriods.Day(now);
        var monthReset = QuotaPeriods.MonthResetsAt(now);
        var dayReset = QuotaPeriods.DayResetsAt(now);
        return [.. levels.SelectMany(l => new[]
        {
            new Target(l.Scope, l.Kind, month, "month", l.Limit.Period, monthReset),
            new Target(l.Scope, l.Kind, day, "day", l.Limit.Daily, dayReset),
        })];
    }

    private static async Task EnsureCountersAsync(PortalDbContext db, Guid tenantId, QuotaMetric metric, List<Target> targets, CancellationToken ct)
    {
        var scopes = targets.Select(t => t.Scope).Distinct().ToList();
        var periods = targets.Select(t => t.Period).Distinct().ToList();
        var existing = await db.QuotaCounters.AsNoTracking()
            .Where(c => c.Metric == metric && scopes.Contains(c.Scope) && periods.Contains(c.Period))
            .Select(c => c.Scope + "@" + c.Period)
            .ToListAsync(ct);
        var missing = targets.Where(t => !existing.Contains(t.Key)).ToList();
        foreach (var t in missing)
        {
            db.QuotaCounters.Add(new QuotaCounter { TenantId = tenantId, Scope = t.Scope, Metric = metric, Period = t.Period });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another caller created the same counter first; the unique key makes this safe to ignore.
            }

            db.ChangeTracker.Clear();
        }
    }

    private static QuotaUsageLine Line(QuotaMetric metric, string scopeKind, List<Target> targets, List<QuotaCounter> counters)
    {
        var main = targets.First(t => t.ScopeKind == scopeKind && t.PeriodKind != "day");
        var daily = targets.FirstOrDefault(t => t.ScopeKind == scopeKind && t.PeriodKind == "day");
        long Used(Target? t) => t is null ? 0 : counters.Where(c => c.Scope == t.Scope && c.Period == t.Period && c.Metric == metric).Sum(c => c.Used);
        return new QuotaUsageLine(
            metric,
            Used(main),
            main.Limit,
            daily is null ? null : Used(daily),
            daily?.Limit,
            main.ResetsAt,
            daily?.ResetsAt);
    }
}
