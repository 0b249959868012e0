using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.Data;
using Portal.Core.Datasets;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Tests.Datasets;

/// <summary>Stored bytes of a dataset go back to whoever they were charged to, whoever deletes it.</summary>
public sealed class DatasetStorageQuotaTests : CoreHostTest
{
    [Fact]
    public async Task A_tenant_admin_deleting_a_members_dataset_frees_the_members_storage_not_the_admins()
    {
        var (tenantId, member) = await Host.CreateTenantAsync("store", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.StorageBytes] = (10_000, null) });
        var admin = await Host.AddUserAsync(tenantId, "admin@store.test", PortalRoles.TenantAdmin);
        await using (var scope = Host.ScopeFor(admin))
        {
            await Upload(scope, "a,b\n9,9\n"); // the admin's own bytes, which must stay charged to the admin
        }

        Dataset dataset;
        await using (var scope = Host.ScopeFor(member))
        {
            dataset = await Upload(scope, "a,b\n1,2\n3,4\n");
        }

        Assert.Equal(dataset.SizeBytes, await UsedAsync("user:" + member.UserId));
        var adminBytes = await UsedAsync("user:" + admin.UserId);
        Assert.True(adminBytes > 0);

        await using (var scope = Host.ScopeFor(admin))
        {
            await scope.ServiceProvider.GetRequiredService<DatasetService>().DeleteAsync(dataset.Id);
        }

        Assert.Equal(0, await UsedAsync("user:" + member.UserId));
        Assert.Equal(adminBytes, await UsedAsync("user:" + admin.UserId));
        Assert.Equal(adminBytes, await UsedAsync("tenant:" + tenantId.ToString("N")));
        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var credit = await db.UsageRecords.AsNoTracking().SingleAsync(u => u.Metric == QuotaMetric.StorageBytes && u.Amount < 0);
        Assert.Equal((member.UserId, -dataset.SizeBytes), (credit.UserId, credit.Amount));
    }

    private static Task<Dataset> Upload(AsyncServiceScope scope, string csv) =>
        scope.ServiceProvider.GetRequiredService<DatasetService>().UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "data.csv");

    private async Task<long> UsedAsync(string scope) => (await Host.CounterAsync(scope, QuotaMetric.StorageBytes, QuotaPeriods.Total))?.Used ?? 0;
}
