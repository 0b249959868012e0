using Portal.Core.Tenancy;

namespace Portal.Core.ApiKeys;

/// <summary>A user's API key. Only a SHA-256 hash of the secret and a short prefix for display are stored.</summary>
public sealed class ApiKey : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public required string UserId { get; set; }

    public required string Name { get; set; }

    /// <summary>The first characters of the key (e.g. <c>ptl_AbCd1234</c>), shown in lists and used for lookup.</summary>
    public required string Prefix { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole key.</summary>
    public required string SecretHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public bool IsActive => RevokedAt is null;
}
