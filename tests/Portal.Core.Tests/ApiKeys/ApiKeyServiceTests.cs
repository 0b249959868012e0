using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.ApiKeys;
using Portal.Core.Data;
using Portal.Core.Tenancy;

namespace Portal.Core.Tests.ApiKeys;

public sealed class ApiKeyServiceTests : CoreHostTest
{
    private Caller _user = null!;

    protected override async Task ArrangeAsync()
    {
        (_, _user) = await Host.CreateTenantAsync("keys");
    }

    [Fact]
    public async Task A_created_key_verifies_as_its_user_and_only_its_hash_and_prefix_are_stored()
    {
        await using var scope = Host.ScopeFor(_user);
        var created = await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync("  batch job  ");

        Assert.StartsWith("ptl_", created.Secret, StringComparison.Ordinal);
        Assert.Equal("batch job", created.Name);
        Assert.Equal(created.Secret[..12], created.Prefix);

        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.DoesNotContain(created.Secret, stored.SecretHash, StringComparison.Ordinal);
        Assert.Equal(64, stored.SecretHash.Length);

        var verified = await ApiKeyService.VerifyAsync(db, created.Secret, Host.Clock.GetUtcNow(), CancellationToken.None);
        Assert.Equal(new ApiKeyIdentity(created.Id, _user.UserId, _user.TenantId), verified);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ptl_short")]
    [InlineData("not-a-portal-key-at-all-0123456789")]
    public async Task Malformed_keys_do_not_verify(string presented)
    {
        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        Assert.Null(await ApiKeyService.VerifyAsync(db, presented, Host.Clock.GetUtcNow(), CancellationToken.None));
    }

    [Fact]
    public async Task A_key_with_a_right_prefix_but_wrong_secret_or_revoked_does_not_verify()
    {
        await using var scope = Host.ScopeFor(_user);
        var service = scope.ServiceProvider.GetRequiredService<ApiKeyService>();
        var created = await service.CreateAsync("k");
        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();

        var forged = created.Secret[..^4] + (created.Secret.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        Assert.Null(await ApiKeyService.VerifyAsync(db, forged, Host.Clock.GetUtcNow(), CancellationToken.None));

        Assert.True(await service.RevokeAsync(created.Id));
        Assert.Null(await ApiKeyService.VerifyAsync(db, created.Secret, Host.Clock.GetUtcNow(), CancellationToken.None));
        Assert.False((await service.ListMineAsync()).Single().IsActive);
    }

    [Fact]
    public async Task Creating_and_revoking_keys_is_audited()
    {
        await using var scope = Host.ScopeFor(_user);
        var service = scope.ServiceProvider.GetRequiredService<ApiKeyService>();
        var created = await service.CreateAsync("audited");
        await service.RevokeAsync(created.Id);

        var actions = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().AuditEntries.Select(a => a.Action).ToListAsync();
        Assert.Equal(["apikey.created", "apikey.revoked"], actions.Order());
    }
}
