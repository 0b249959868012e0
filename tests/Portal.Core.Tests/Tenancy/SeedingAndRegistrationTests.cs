using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.Data;
using Portal.Core.Demo;

namespace Portal.Core.Tests.Tenancy;

public sealed class SeedingAndRegistrationTests
{
    [Fact]
    public async Task Demo_seeding_creates_three_demo_tenants_and_eight_accounts_and_is_idempotent()
    {
        await using var host = await CoreTestHost.StartAsync(demo: true);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PortalSeeder>().SeedAsync();
        }

        await using var db = host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        Assert.Equal(["bank", "hospital", "platform", "school"], (await db.Tenants.Select(t => t.Slug).ToListAsync()).Order());
        Assert.Equal(8, await db.Users.CountAsync());

        await using var s = host.Services.CreateAsyncScope();
        var users = s.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var student = await users.FindByEmailAsync("student@school.demo");
        Assert.True(await users.CheckPasswordAsync(student!, "Portal!Demo1"));
        Assert.Equal([PortalRoles.Student], await users.GetRolesAsync(student!));
        Assert.Equal([PortalRoles.PlatformAdmin], await users.GetRolesAsync((await users.FindByEmailAsync("admin@portal.local"))!));
    }

    [Fact]
    public async Task Registering_creates_an_organisation_with_the_registrant_as_its_admin()
    {
        await using var host = await CoreTestHost.StartAsync();
        await using var scope = host.ScopeFor(null);
        var registration = scope.ServiceProvider.GetRequiredService<RegistrationService>();

        var result = await registration.RegisterOrganisationAsync("founder@acme.test", "Str0ng!Pass", "Acme Health", "Ada");
        Assert.True(result.Succeeded, result.Error?.ToString());

        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        Assert.Equal([PortalRoles.TenantAdmin], await users.GetRolesAsync(result.User!));
        await using var db = host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var tenant = await db.Tenants.Include(t => t.QuotaPlan).SingleAsync(t => t.Id == result.User!.TenantId);
        Assert.Equal(("Acme Health", "acme-health", "Free"), (tenant.Name, tenant.Slug, tenant.QuotaPlan!.Name));

        var weak = await registration.RegisterOrganisationAsync("second@acme.test", "weak", "Other Org", null);
        Assert.False(weak.Succeeded);
        Assert.Equal(
            "The password must be at least 8 characters long. The password must contain a symbol (a character that is not a letter or digit). "
            + "The password must contain a digit (0–9). The password must contain an upper-case letter (A–Z).",
            weak.Error?.ToString());
        Assert.False(await db.Tenants.AnyAsync(t => t.Name == "Other Org"));

        var duplicate = await registration.RegisterOrganisationAsync("founder@acme.test", "Str0ng!Pass", "Acme Again", null);
        Assert.False(duplicate.Succeeded);
        Assert.Equal("An account for founder@acme.test already exists.", duplicate.Error?.ToString());
    }
}
