using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Tests.Usage;

/// <summary>Who sees which usage: members their own, tenant admins their tenant, platform admins all — or only their own organisation on its pages.</summary>
public sealed class UsageReachTests : CoreHostTest
{
    private async Task ChargeAsync(Caller caller, long amount)
    {
        await using var scope = Host.ScopeFor(caller);
        await using var lease = await scope.ServiceProvider.GetRequiredService<IQuotaService>().ReserveAsync(QuotaMetric.PredictionRows, amount);
        await lease.SettleAsync(amount);
    }

    private async Task<IReadOnlyList<UsageGroup>> ByUserAsync(Caller caller, bool ownTenantOnly)
    {
        await using var scope = Host.ScopeFor(caller);
        return await scope.ServiceProvider.GetRequiredService<UsageService>()
            .GroupAsync(new UsageQuery(Metric: QuotaMetric.PredictionRows, OwnTenantOnly: ownTenantOnly), UsageGroupings.User);
    }

    [Fact]
    public async Task A_platform_admin_sees_every_tenant_but_the_organisation_view_keeps_to_their_own()
    {
        var (_, platform) = await Host.CreateTenantAsync("operators", null, PortalRoles.PlatformAdmin);
        var (_, bankMember) = await Host.CreateTenantAsync("bank", null);
        var (schoolId, schoolAdmin) = await Host.CreateTenantAsync("school", null, PortalRoles.TenantAdmin);
        var schoolMember = await Host.AddUserAsync(schoolId, "pupil@school.test");
        await ChargeAsync(platform, 1);
        await ChargeAsync(bankMember, 20);
        await ChargeAsync(schoolAdmin, 300);
        await ChargeAsync(schoolMember, 4_000);

        Assert.Equal(4_321, (await ByUserAsync(platform, ownTenantOnly: false)).Sum(g => g.Amount));
        Assert.Equal([("user@operators.test", 1L)], (await ByUserAsync(platform, ownTenantOnly: true)).Select(g => (g.Key, g.Amount)));
        Assert.Equal(4_300, (await ByUserAsync(schoolAdmin, ownTenantOnly: false)).Sum(g => g.Amount));
        Assert.Equal([("pupil@school.test", 4_000L)], (await ByUserAsync(schoolMember, ownTenantOnly: false)).Select(g => (g.Key, g.Amount)));
    }
}
