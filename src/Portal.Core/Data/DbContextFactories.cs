using Microsoft.EntityFrameworkCore;
using Portal.Core.Tenancy;

namespace Portal.Core.Data;

/// <summary>Creates short-lived contexts scoped to the current caller's tenant (the default for all services).</summary>
internal sealed class TenantDbContextFactory(DbContextOptions<PortalDbContext> options, ITenantContext tenantContext)
    : IDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext() => new(options, tenantContext);
}

/// <summary>
/// Creates contexts that see every tenant. Only for work that must span tenants by nature: start-up migration and
/// seeding, API-key verification (before the tenant is known), the audit log, quota sweeping, and platform
/// administration after its policy check.
/// </summary>
public sealed class SystemDbContextFactory(DbContextOptions<PortalDbContext> options)
{
    public PortalDbContext CreateDbContext() => new(options, SystemTenantContext.Instance);
}

/// <summary>The immutable context of trusted system work.</summary>
public sealed class SystemTenantContext : ITenantContext
{
    public static SystemTenantContext Instance { get; } = new();

    private SystemTenantContext()
    {
    }

    public Caller? Caller => null;

    public bool IsSystem => true;
}
