using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Core;
using Portal.Core.Data;

namespace Portal.Migrations.Sqlite;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the web host.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite("Data Source=design-time.db", x => x.MigrationsAssembly(CoreServiceCollectionExtensions.MigrationsAssembly))
            .Options;
        return new PortalDbContext(options, SystemTenantContext.Instance);
    }
}
