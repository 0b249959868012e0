using Portal.Core.Quotas;

namespace Portal.Core.Tenancy;

/// <summary>An organisation using the portal. Every user and every piece of tenant data belongs to exactly one.</summary>
public sealed class Tenant
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public required string Name { get; set; }

    /// <summary>URL-safe short name, unique across the platform (e.g. <c>hospital</c>).</summary>
    public required string Slug { get; set; }

    public bool IsActive { get; set; } = true;

    public Guid QuotaPlanId { get; set; }

    public QuotaPlan? QuotaPlan { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
