namespace Portal.Core.Tenancy;

/// <summary>Who is calling: the signed-in user or API key, and the tenant they act in.</summary>
public interface ITenantContext
{
    /// <summary>The caller, or <see langword="null"/> for an anonymous request.</summary>
    Caller? Caller { get; }

    /// <summary>True for trusted start-up and background work (seeding, migrations) that spans tenants.</summary>
    bool IsSystem { get; }
}

/// <summary>An authenticated caller.</summary>
/// <param name="UserId">The Identity user id.</param>
/// <param name="TenantId">The tenant the user belongs to.</param>
/// <param name="Roles">The user's roles (see <see cref="Accounts.PortalRoles"/>).</param>
/// <param name="ApiKeyId">The API key that authenticated the call, or <see langword="null"/> for the browser.</param>
public sealed record Caller(string UserId, Guid TenantId, IReadOnlyCollection<string> Roles, Guid? ApiKeyId = null)
{
    public bool IsInRole(string role) => Roles.Contains(role, StringComparer.Ordinal);

    public bool IsPlatformAdmin => IsInRole(Accounts.PortalRoles.PlatformAdmin);
}

/// <summary>The scoped, settable tenant context. The web host fills it from the cookie or the API key.</summary>
public sealed class TenantContext : ITenantContext
{
    public Caller? Caller { get; private set; }

    public bool IsSystem => false;

    public void Set(Caller? caller) => Caller = caller;
}
