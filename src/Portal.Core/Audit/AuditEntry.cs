using Portal.Core.Tenancy;

namespace Portal.Core.Audit;

/// <summary>An append-only record of a security- or money-relevant action.</summary>
public sealed class AuditEntry : ITenantOwned
{
    public long Id { get; set; }

    /// <summary>The tenant the action concerns.</summary>
    public Guid TenantId { get; set; }

    public string? ActorUserId { get; set; }

    /// <summary>A dotted verb such as <c>apikey.created</c> or <c>member.added</c>.</summary>
    public required string Action { get; set; }

    /// <summary>What the action was done to (a user's e-mail, a key's prefix, a tenant's slug).</summary>
    public string? Target { get; set; }

    public string? Before { get; set; }

    public string? After { get; set; }

    public string? IpAddress { get; set; }

    public DateTimeOffset Timestamp { get; set; }
}
