namespace Portal.Core.Accounts;

/// <summary>The four roles of the portal.</summary>
public static class PortalRoles
{
    /// <summary>Operates the platform: all tenants, plans, templates.</summary>
    public const string PlatformAdmin = nameof(PlatformAdmin);

    /// <summary>Administers one tenant: its members, quotas and templates.</summary>
    public const string TenantAdmin = nameof(TenantAdmin);

    /// <summary>A business user of a tenant.</summary>
    public const string Member = nameof(Member);

    /// <summary>Uses the education assistant and sees only their own history.</summary>
    public const string Student = nameof(Student);

    public static IReadOnlyList<string> All { get; } = [PlatformAdmin, TenantAdmin, Member, Student];

    /// <summary>Roles a tenant admin may give to members of their own tenant.</summary>
    public static IReadOnlyList<string> AssignableByTenantAdmin { get; } = [TenantAdmin, Member, Student];
}

/// <summary>Authorization policy names, checked on pages and API endpoints alike.</summary>
public static class PortalPolicies
{
    public const string PlatformAdmin = "policy:platform-admin";
    public const string TenantAdmin = "policy:tenant-admin";
    /// <summary>Business features (templates, datasets, runs): members and admins, not students.</summary>
    public const string BusinessUser = "policy:business-user";
    /// <summary>Any signed-in user of an active tenant.</summary>
    public const string SignedIn = "policy:signed-in";
}

/// <summary>Claim types the portal adds to a signed-in principal.</summary>
public static class PortalClaims
{
    public const string TenantId = "portal:tenant";
    public const string TenantName = "portal:tenant-name";
    public const string ApiKeyId = "portal:api-key";
    public const string DisplayName = "portal:display-name";
}
