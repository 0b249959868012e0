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

    /// <summary>Templates the platform lets this tenant use; null for every template (demo tenants keep that).</summary>
    public List<string>? AllowedTemplates { get; set; }

    /// <summary>Templates the tenant's admin has switched off for its users (within <see cref="AllowedTemplates"/>).</summary>
    public List<string> DisabledTemplates { get; set; } = [];

    /// <summary>The course assistant declines to do graded work (homework, exams) for students; set by the tenant's admins.</summary>
    public bool AssistantRefusesGradedWork { get; set; }
}
