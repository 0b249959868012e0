using Portal.Core.Data;
using Portal.Core.Tenancy;

namespace Portal.Core.Audit;

/// <summary>Writes audit entries. Services call it when they change security- or money-relevant state.</summary>
public interface IAuditLog
{
    Task WriteAsync(Guid tenantId, string action, string? target, string? before = null, string? after = null, CancellationToken cancellationToken = default);
}

/// <summary>Where the current request came from, for the audit log (set by the web host).</summary>
public sealed class RequestOrigin
{
    public string? IpAddress { get; set; }
}

internal sealed class AuditLog(SystemDbContextFactory systemDb, ITenantContext tenantContext, RequestOrigin origin, TimeProvider clock) : IAuditLog
{
    public async Task WriteAsync(Guid tenantId, string action, string? target, string? before = null, string? after = null, CancellationToken cancellationToken = default)
    {
        // Written through the system context: a platform admin acting on another tenant records it in that tenant.
        await using var db = systemDb.CreateDbContext();
        db.AuditEntries.Add(new AuditEntry
        {
            TenantId = tenantId,
            ActorUserId = tenantContext.Caller?.UserId,
            Action = action,
            Target = target,
            Before = before,
            After = after,
            IpAddress = origin.IpAddress,
            Timestamp = clock.GetUtcNow(),
        });
        await db.SaveChangesAsync(cancellationToken);
    }
}
