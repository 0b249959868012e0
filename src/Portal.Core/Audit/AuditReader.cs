using Microsoft.EntityFrameworkCore;
using Portal.Core.Accounts;
using Portal.Core.Data;
using Portal.Core.Tenancy;

namespace Portal.Core.Audit;

/// <summary>Which audit entries to read: a window (default: the last 30 days), an action prefix (e.g. <c>tenant.</c>), a page.</summary>
/// <param name="Search">Text found in the target, before or after values (case-insensitive).</param>
public sealed record AuditQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, string? Action = null, int Page = 1, int PageSize = 50, string? Search = null);

/// <summary>One audit entry as administrators read it: names instead of ids.</summary>
public sealed record AuditItem(DateTimeOffset Timestamp, string Tenant, string? Actor, string Action, string? Target, string? Before, string? After, string? IpAddress);

/// <summary>
/// Reads the append-only audit log: a tenant admin their tenant's entries (the tenant filter), a platform admin every
/// tenant's. There is no way to change or delete an entry, here or anywhere else.
/// </summary>
public sealed class AuditReader(IDbContextFactory<PortalDbContext> tenantDb, SystemDbContextFactory systemDb, ITenantContext tenant, TimeProvider clock)
{
    public async Task<(IReadOnlyList<AuditItem> Items, int Total)> ListAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        var caller = tenant.Caller ?? throw new TenantAccessException("The audit log needs a signed-in caller.");
        if (!caller.IsPlatformAdmin && !caller.IsInRole(PortalRoles.TenantAdmin))
        {
            throw new UnauthorizedAccessException("Only administrators read the audit log.");
        }

        await using var db = caller.IsPlatformAdmin ? systemDb.CreateDbContext() : await tenantDb.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        // Times are stored in UTC; a window given with another offset (an API caller's "+08:00") is the same instants.
        var from = (query.From ?? now.AddDays(-30)).ToUniversalTime();
        var to = (query.To ?? now.AddSeconds(1)).ToUniversalTime();
        var entries = db.AuditEntries.AsNoTracking().Where(e => e.Timestamp >= from && e.Timestamp < to);
        if (query.Action is { Length: > 0 } action)
        {
            entries = entries.Where(e => e.Action.StartsWith(action));
        }

        if (query.Search is { Length: > 0 } search)
        {
            await using var people = systemDb.CreateDbContext();
            var lower = search.Trim().ToLowerInvariant();
            var actors = await people.Users.AsNoTracking().Where(u => u.NormalizedEmail!.Contains(lower.ToUpperInvariant())).Select(u => u.Id).ToListAsync(cancellationToken);
            var pattern = "%" + search.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            entries = entries.Where(e => EF.Functions.Like(e.Target ?? string.Empty, pattern, "\\")
                || EF.Functions.Like(e.Before ?? string.Empty, pattern, "\\")
                || EF.Functions.Like(e.After ?? string.Empty, pattern, "\\")
                || EF.Functions.Like(e.IpAddress ?? string.Empty, pattern, "\\")
                || (e.ActorUserId != null && actors.Contains(e.ActorUserId)));
        }

        var total = await entries.CountAsync(cancellationToken);
        var size = Math.Clamp(query.PageSize, 1, 1000);
        var page = await entries.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id)
            .Skip((Math.Max(1, query.Page) - 1) * size).Take(size).ToListAsync(cancellationToken);
        var tenantIds = page.Select(e => e.TenantId).Distinct().ToList();
        var userIds = page.Where(e => e.ActorUserId is not null).Select(e => e.ActorUserId!).Distinct().ToList();
        var tenants = await db.Tenants.AsNoTracking().Where(t => tenantIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, cancellationToken);
        // Actors may be platform staff of another tenant, so their names come from the system view.
        await using var names = systemDb.CreateDbContext();
        var users = await names.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, cancellationToken);
        return ([.. page.Select(e => new AuditItem(
            e.Timestamp, tenants.GetValueOrDefault(e.TenantId, e.TenantId.ToString()),
            e.ActorUserId is { } a ? users.GetValueOrDefault(a, a) : null, e.Action, e.Target, e.Before, e.After, e.IpAddress))], total);
    }

    /// <summary>Every matching entry, newest first, read a page at a time (exports).</summary>
    public async IAsyncEnumerable<AuditItem> AllAsync(AuditQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var page = 1; ; page++)
        {
            var (items, total) = await ListAsync(query with { Page = page, PageSize = 1000 }, cancellationToken);
            foreach (var item in items)
            {
                yield return item;
            }

            if (page * 1000 >= total || items.Count == 0)
            {
                yield break;
            }
        }
    }

    /// <summary>Writes entries as CSV (UTF-8 with BOM, formula-neutralised cells).</summary>
    public static async Task WriteCsvAsync(Stream output, IAsyncEnumerable<AuditItem> items, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(true), 16 * 1024, leaveOpen: true);
        await writer.WriteLineAsync("timestamp,tenant,actor,action,target,before,after,ipAddress");
        await foreach (var e in items.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(string.Join(',',
                e.Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture), Csv(e.Tenant), Csv(e.Actor), Csv(e.Action),
                Csv(e.Target), Csv(e.Before), Csv(e.After), Csv(e.IpAddress)));
        }

        static string Csv(string? value) => Runs.RunExport.Csv(value ?? string.Empty);
    }
}
