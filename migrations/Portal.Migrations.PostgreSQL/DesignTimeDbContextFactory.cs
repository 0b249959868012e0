using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Core;
using Portal.Core.Data;

namespace Portal.Migrations.PostgreSQL;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without a server or the web host: the context comes
/// from the core's own registration (so Identity's store options shape the model exactly as at run time).
/// </summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Portal"] = "Host=localhost;Database=portal_design",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddDataProtection().Services;
        services.AddPortalCore(configuration, AppContext.BaseDirectory);
        return services.BuildServiceProvider().GetRequiredService<SystemDbContextFactory>().CreateDbContext();
    }
}
