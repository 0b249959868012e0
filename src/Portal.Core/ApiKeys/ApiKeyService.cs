using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Tenancy;

namespace Portal.Core.ApiKeys;

/// <summary>The secret of a new key, returned once and never stored.</summary>
public sealed record CreatedApiKey(Guid Id, string Name, string Prefix, string Secret, DateTimeOffset CreatedAt);

/// <summary>A key as listed to its owner: never the secret.</summary>
public sealed record ApiKeySummary(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public bool IsActive => RevokedAt is null;
}

/// <summary>A key of the organisation as listed to its administrators: with its owner, never the secret.</summary>
public sealed record TenantApiKeySummary(
    Guid Id, string Name, string Prefix, string UserId, string? Owner, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public bool IsActive => RevokedAt is null;
}

/// <summary>A verified key: who it acts for.</summary>
public sealed record ApiKeyIdentity(Guid KeyId, string UserId, Guid TenantId);

/// <summary>Creates, lists, revokes and verifies the signed-in user's API keys.</summary>
public sealed class ApiKeyService(IDbContextFactory<PortalDbContext> dbFactory, ITenantContext tenantContext, IAuditLog audit, TimeProvider clock)
{
    public const string KeyPrefix = "ptl_";
    private const int PrefixLength = 12; // "ptl_" + 8 characters

    /// <summary>The shortest acceptable key: the prefix plus 16 more characters.</summary>
    public const int MinimumLength = PrefixLength + 16;

    /// <summary>True when <paramref name="key"/> has the shape of a Portal key (says nothing of whether it exists).</summary>
    public static bool IsWellFormed(string key) =>
        key.StartsWith(KeyPrefix, StringComparison.Ordinal) && key.Length is >= MinimumLength and <= 200;

    public async Task<CreatedApiKey> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100)
        {
            throw new ArgumentException("An API key needs a name of 1 to 100 characters.", nameof(name));
        }

        var caller = tenantContext.Caller ?? throw new InvalidOperationException("Only a signed-in user can create API keys.");
        var secret = NewSecret();
        var key = new ApiKey
        {
            TenantId = caller.TenantId,
            UserId = caller.UserId,
            Name = name,
            Prefix = secret[..PrefixLength],
            SecretHash = Hash(secret),
            CreatedAt = clock.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(key.TenantId, AuditActions.ApiKeyCreated, key.Prefix, after: key.Name, cancellationToken: cancellationToken);
        return new CreatedApiKey(key.Id, key.Name, key.Prefix, secret, key.CreatedAt);
    }

    /// <summary>The caller's own keys, newest first.</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListMineAsync(CancellationToken cancellationToken = default)
    {
        var caller = tenantContext.Caller ?? throw new InvalidOperationException("Only a signed-in user has API keys.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking()
            .Where(k => k.UserId == caller.UserId)
            .Select(k => new ApiKeySummary(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(cancellationToken);
        return [.. keys.OrderByDescending(k => k.CreatedAt)];
    }

    /// <summary>Every key of the caller's organisation with its owner (TenantAdmin), newest first.</summary>
    public async Task<IReadOnlyList<TenantApiKeySummary>> ListTenantAsync(CancellationToken cancellationToken = default)
    {
        RequireTenantAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var keys = await (from k in db.ApiKeys.AsNoTracking()
                          join u in db.Users.AsNoTracking() on k.UserId equals u.Id into owners
                          from u in owners.DefaultIfEmpty()
                          select new TenantApiKeySummary(k.Id, k.Name, k.Prefix, k.UserId, u == null ? null : u.Email, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(cancellationToken);
        return [.. keys.OrderByDescending(k => k.CreatedAt)];
    }

    /// <summary>Revokes any key of the caller's organisation (TenantAdmin). False when there is no such key in it.</summary>
    public async Task<bool> RevokeInTenantAsync(Guid id, CancellationToken cancellationToken = default)
    {
        RequireTenantAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return false;
        }

        if (key.RevokedAt is null)
        {
            key.RevokedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            await audit.WriteAsync(key.TenantId, AuditActions.ApiKeyRevoked, key.Prefix, before: key.Name, after: "by an administrator", cancellationToken: cancellationToken);
        }

        return true;
    }

    private void RequireTenantAdmin()
    {
        if (tenantContext.Caller is not { } c || !(c.IsInRole(Accounts.PortalRoles.TenantAdmin) || c.IsPlatformAdmin))
        {
            throw new UnauthorizedAccessException("Only a tenant administrator manages the organisation's API keys.");
        }
    }

    /// <summary>Revokes one of the caller's keys. Returns false when no such key of theirs exists.</summary>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var caller = tenantContext.Caller ?? throw new InvalidOperationException("Only a signed-in user can revoke API keys.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id && k.UserId == caller.UserId, cancellationToken);
        if (key is null)
        {
            return false;
        }

        if (key.RevokedAt is null)
        {
            key.RevokedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            await audit.WriteAsync(key.TenantId, AuditActions.ApiKeyRevoked, key.Prefix, before: key.Name, cancellationToken: cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Verifies a presented key against every tenant's keys (the caller is not known yet), so it needs a context that
    /// may read across tenants. Returns null for unknown, malformed or revoked keys.
    /// </summary>
    public static async Task<ApiKeyIdentity?> VerifyAsync(PortalDbContext systemDb, string presented, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!IsWellFormed(presented))
        {
            return null;
        }

        var prefix = presented[..PrefixLength];
        var hash = Encoding.ASCII.GetBytes(Hash(presented));
        var candidates = await systemDb.ApiKeys.Where(k => k.Prefix == prefix && k.RevokedAt == null).ToListAsync(cancellationToken);
        var match = candidates.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(k.SecretHash), hash));
        if (match is null)
        {
            return null;
        }

        if (match.LastUsedAt is null || now - match.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            match.LastUsedAt = now;
            await systemDb.SaveChangesAsync(cancellationToken);
        }

        return new ApiKeyIdentity(match.Id, match.UserId, match.TenantId);
    }

    /// <summary>Lower-case hex SHA-256; keys carry 256 random bits, so a fast hash is the right tool.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string NewSecret() =>
        KeyPrefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Stores a known key for a user (demo seeding and tests configure keys by value).</summary>
    internal static ApiKey FromKnownSecret(string secret, string name, string userId, Guid tenantId, DateTimeOffset now) =>
        !IsWellFormed(secret)
            ? throw new ArgumentException($"A configured API key must start with '{KeyPrefix}' and be {MinimumLength} to 200 characters long.")
            : new ApiKey
            {
                TenantId = tenantId,
                UserId = userId,
                Name = name,
                Prefix = secret[..PrefixLength],
                SecretHash = Hash(secret),
                CreatedAt = now,
            };
}
