using Microsoft.AspNetCore.Identity;
using Portal.Core.Tenancy;

namespace Portal.Core.Accounts;

/// <summary>A person who signs in. Belongs to one tenant.</summary>
public sealed class PortalUser : IdentityUser
{
    public Guid TenantId { get; set; }

    public Tenant? Tenant { get; set; }

    [PersonalData]
    public string? DisplayName { get; set; }

    /// <summary>The UI culture the user picked (<c>en</c> or <c>zh-CN</c>); null follows the browser.</summary>
    public string? PreferredCulture { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
