namespace Portal.Core.Tenancy;

/// <summary>
/// Marks an entity as tenant data. <see cref="Data.PortalDbContext"/> filters every query of such entities to the
/// caller's tenant and refuses to save one into another tenant; code never filters by tenant by hand.
/// </summary>
public interface ITenantOwned
{
    Guid TenantId { get; set; }
}
