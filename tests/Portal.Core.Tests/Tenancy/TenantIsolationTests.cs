using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Tests.Tenancy;

/// <summary>Tries to cross tenants through the DbContext and the services; every attempt must fail.</summary>
public sealed class TenantIsolationTests : CoreHostTest
{
    private Caller _alice = null!;
    private Caller _bob = null!;

    protected override async Task ArrangeAsync()
    {
        (_, _alice) = await Host.CreateTenantAsync("alpha", role: PortalRoles.TenantAdmin);
        (_, _bob) = await Host.CreateTenantAsync("beta", role: PortalRoles.TenantAdmin);
    }

    [Fact]
    public async Task Queries_see_only_the_callers_tenant()
    {
        await using (var scope = Host.ScopeFor(_alice))
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync("alice key");
        }

        await using (var scope = Host.ScopeFor(_bob))
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            Assert.Empty(await db.ApiKeys.ToListAsync());
            Assert.Empty(await db.AuditEntries.ToListAsync());
            Assert.All(await db.Users.ToListAsync(), u => Assert.Equal(_bob.TenantId, u.TenantId));
            Assert.Single(await db.Users.ToListAsync());
        }

        await using (var scope = Host.ScopeFor(_alice))
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            Assert.Single(await db.ApiKeys.ToListAsync());
        }
    }

    [Fact]
    public async Task Writing_a_row_into_another_tenant_is_refused()
    {
        await using var scope = Host.ScopeFor(_bob);
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        db.ApiKeys.Add(new ApiKey { TenantId = _alice.TenantId, UserId = _alice.UserId, Name = "planted", Prefix = "ptl_xxxxxxxx", SecretHash = new string('0', 64) });
        await Assert.ThrowsAsync<TenantAccessException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task Moving_a_row_to_another_tenant_is_refused()
    {
        await using (var scope = Host.ScopeFor(_bob))
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync("bob key");
        }

        await using var s = Host.ScopeFor(_bob);
        var db = s.ServiceProvider.GetRequiredService<PortalDbContext>();
        var key = await db.ApiKeys.SingleAsync();
        key.TenantId = _alice.TenantId;
        await Assert.ThrowsAsync<TenantAccessException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task New_rows_are_stamped_with_the_callers_tenant()
    {
        await using var scope = Host.ScopeFor(_alice);
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var limit = new QuotaLimit { Scope = QuotaScope.User, SubjectId = _alice.UserId, Metric = QuotaMetric.Requests, PeriodLimit = 5 };
        db.QuotaLimits.Add(limit);
        await db.SaveChangesAsync();
        Assert.Equal(_alice.TenantId, limit.TenantId);
    }

    [Fact]
    public async Task Tenant_data_cannot_be_written_anonymously()
    {
        await using var scope = Host.ScopeFor(null);
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        db.QuotaLimits.Add(new QuotaLimit { TenantId = _alice.TenantId, Scope = QuotaScope.User, SubjectId = _alice.UserId, Metric = QuotaMetric.Requests });
        await Assert.ThrowsAsync<TenantAccessException>(() => db.SaveChangesAsync());
        Assert.Empty(await db.QuotaLimits.ToListAsync());
    }

    [Fact]
    public async Task A_tenant_admin_cannot_change_or_see_members_of_another_tenant()
    {
        await using var scope = Host.ScopeFor(_bob);
        var members = scope.ServiceProvider.GetRequiredService<MemberService>();
        var e = await Assert.ThrowsAsync<MemberValidationException>(() => members.ChangeRoleAsync(_alice.UserId, PortalRoles.Student));
        Assert.Contains("No such member", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await members.ListAsync(), m => m.UserId == _alice.UserId);

        await using var check = Host.Services.CreateAsyncScope();
        var users = check.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        Assert.Equal([PortalRoles.TenantAdmin], await users.GetRolesAsync((await users.FindByIdAsync(_alice.UserId))!));
    }

    [Fact]
    public async Task A_user_of_another_tenant_cannot_be_updated_through_identity()
    {
        await using var scope = Host.ScopeFor(_bob);
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        Assert.Null(await db.Users.SingleOrDefaultAsync(u => u.Id == _alice.UserId));

        await using var system = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var alice = await system.Users.AsNoTracking().SingleAsync(u => u.Id == _alice.UserId);
        alice.DisplayName = "hijacked";
        db.Users.Update(alice);
        await Assert.ThrowsAsync<TenantAccessException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task Revoking_another_tenants_key_finds_nothing()
    {
        Guid aliceKey;
        await using (var scope = Host.ScopeFor(_alice))
        {
            aliceKey = (await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync("alice")).Id;
        }

        await using (var scope = Host.ScopeFor(_bob))
        {
            Assert.False(await scope.ServiceProvider.GetRequiredService<ApiKeyService>().RevokeAsync(aliceKey));
        }

        await using (var scope = Host.ScopeFor(_alice))
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<ApiKeyService>().ListMineAsync()).Single().IsActive);
        }
    }

    [Fact]
    public async Task Only_platform_admins_create_tenants()
    {
        await using var scope = Host.ScopeFor(_alice);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            scope.ServiceProvider.GetRequiredService<TenantService>().CreateAsync("Evil", "evil", null));
    }
}
