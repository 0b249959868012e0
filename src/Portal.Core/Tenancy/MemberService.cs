using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.Audit;
using Portal.Core.Data;

namespace Portal.Core.Tenancy;

/// <summary>A member of the caller's tenant.</summary>
public sealed record MemberSummary(string UserId, string Email, string? DisplayName, string Role, bool EmailConfirmed, bool LockedOut, DateTimeOffset CreatedAt);

/// <summary>How a new member gets a password.</summary>
public enum MemberOnboarding
{
    /// <summary>E-mail an invitation with a link to set a password.</summary>
    Invite = 0,
    /// <summary>Create the account with a password the admin hands over.</summary>
    CreateWithPassword = 1,
}

/// <summary>A request to add a member.</summary>
public sealed record AddMemberRequest(string Email, string? DisplayName, string Role, MemberOnboarding Onboarding, string? Password);

/// <summary>A refused membership change, with a message fit for the user.</summary>
public sealed class MemberValidationException(string format, params object[] args) : LocalizableException(new LocalizableText(format, args))
{
    /// <summary>A refusal that is already a text (Identity's errors).</summary>
    public MemberValidationException(LocalizableText text)
        : this(text.Format, text.Args)
    {
    }
}

/// <summary>
/// Lists and changes the members of the caller's own tenant (TenantAdmin). Each operation runs in its own DI scope so
/// that Identity's stores get a fresh context carrying the same caller; the tenant filter keeps other tenants out.
/// </summary>
public sealed class MemberService(IServiceScopeFactory scopes, SystemDbContextFactory systemDb, ITenantContext tenantContext, IAuditLog audit, TimeProvider clock)
{
    public async Task<IReadOnlyList<MemberSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        var caller = RequireTenantAdmin();
        await using var scope = CallerScope(caller);
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = clock.GetUtcNow();
        // Start from the tenant-filtered users: Identity's role assignments carry no tenant of their own.
        var rows = await (from u in db.Users.AsNoTracking()
                          select new
                          {
                              User = u,
                              Role = (from ur in db.UserRoles
                                      join r in db.Roles on ur.RoleId equals r.Id
                                      where ur.UserId == u.Id
                                      select r.Name).FirstOrDefault(),
                          }).ToListAsync(cancellationToken);
        return [.. rows
            .Select(x => new MemberSummary(
                x.User.Id, x.User.Email ?? x.User.UserName ?? x.User.Id, x.User.DisplayName,
                x.Role ?? PortalRoles.Member,
                x.User.EmailConfirmed, x.User.LockoutEnd > now, x.User.CreatedAt))
            .OrderBy(m => m.Email, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<MemberSummary> AddAsync(AddMemberRequest request, Func<PortalUser, string, Task>? sendInvitation = null, CancellationToken cancellationToken = default)
    {
        var caller = RequireTenantAdmin();
        if (!PortalRoles.AssignableByTenantAdmin.Contains(request.Role) && !(caller.IsPlatformAdmin && request.Role == PortalRoles.PlatformAdmin))
        {
            throw new MemberValidationException("'{0}' is not a role you can give.", request.Role);
        }

        await using var scope = CallerScope(caller);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var email = request.Email.Trim();
        if (await ExistsAnywhereAsync(email, cancellationToken))
        {
            throw new MemberValidationException("An account for {0} already exists.", email);
        }

        var user = new PortalUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(request.DisplayName) ? null : request.DisplayName.Trim(),
            TenantId = caller.TenantId,
            CreatedAt = clock.GetUtcNow(),
        };
        var created = request.Onboarding == MemberOnboarding.CreateWithPassword
            ? await users.CreateAsync(user, request.Password ?? string.Empty)
            : await users.CreateAsync(user);
        ThrowIfFailed(created);
        ThrowIfFailed(await users.AddToRoleAsync(user, request.Role));
        if (request.Onboarding == MemberOnboarding.Invite && sendInvitation is not null)
        {
            var token = await users.GeneratePasswordResetTokenAsync(user);
            await sendInvitation(user, token);
        }

        await audit.WriteAsync(caller.TenantId, AuditActions.MemberAdded, email, after: $"role={request.Role}; onboarding={request.Onboarding}", cancellationToken: cancellationToken);
        return new MemberSummary(user.Id, email, user.DisplayName, request.Role, true, false, user.CreatedAt);
    }

    public async Task ChangeRoleAsync(string userId, string role, CancellationToken cancellationToken = default)
    {
        var caller = RequireTenantAdmin();
        if (!PortalRoles.AssignableByTenantAdmin.Contains(role))
        {
            throw new MemberValidationException("'{0}' is not a role you can give.", role);
        }

        if (userId == caller.UserId)
        {
            throw new MemberValidationException("You cannot change your own role.");
        }

        await using var scope = CallerScope(caller);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        // The tenant filter makes users of other tenants invisible here: they are "not found", never changed.
        var user = await users.FindByIdAsync(userId) ?? throw new MemberValidationException("No such member in your organisation.");
        var before = await users.GetRolesAsync(user);
        if (before.Contains(PortalRoles.PlatformAdmin))
        {
            throw new MemberValidationException("A platform administrator's role is changed by the platform.");
        }

        ThrowIfFailed(await users.RemoveFromRolesAsync(user, before));
        ThrowIfFailed(await users.AddToRoleAsync(user, role));
        await audit.WriteAsync(caller.TenantId, AuditActions.MemberRoleChanged, user.Email, string.Join(',', before), role, cancellationToken);
    }

    /// <summary>Locks a member out (until unlocked) or lets them in again. Their API keys stop working while locked.</summary>
    public async Task SetLockedAsync(string userId, bool locked, CancellationToken cancellationToken = default)
    {
        var caller = RequireTenantAdmin();
        if (userId == caller.UserId)
        {
            throw new MemberValidationException("You cannot lock your own account.");
        }

        await using var scope = CallerScope(caller);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new MemberValidationException("No such member in your organisation.");
        ThrowIfFailed(await users.SetLockoutEnabledAsync(user, true));
        ThrowIfFailed(await users.SetLockoutEndDateAsync(user, locked ? DateTimeOffset.MaxValue : null));
        if (!locked)
        {
            ThrowIfFailed(await users.ResetAccessFailedCountAsync(user));
        }

        // A new security stamp ends the member's open browser sessions at their next validation.
        ThrowIfFailed(await users.UpdateSecurityStampAsync(user));
        await audit.WriteAsync(caller.TenantId, locked ? AuditActions.MemberLocked : AuditActions.MemberUnlocked, user.Email, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Removes a member's account: their API keys are revoked and their own limits dropped; what they created (data
    /// sets, runs, usage records, audit entries) stays with the organisation.
    /// </summary>
    public async Task RemoveAsync(string userId, CancellationToken cancellationToken = default)
    {
        var caller = RequireTenantAdmin();
        if (userId == caller.UserId)
        {
            throw new MemberValidationException("You cannot remove yourself.");
        }

        await using var scope = CallerScope(caller);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new MemberValidationException("No such member in your organisation.");
        var roles = await users.GetRolesAsync(user);
        if (roles.Contains(PortalRoles.PlatformAdmin))
        {
            throw new MemberValidationException("A platform administrator is removed by the platform.");
        }

        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = clock.GetUtcNow();
        await db.ApiKeys.Where(k => k.UserId == userId && k.RevokedAt == null)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, now), cancellationToken);
        await db.QuotaLimits.Where(l => l.Scope == Quotas.QuotaScope.User && l.SubjectId == userId).ExecuteDeleteAsync(cancellationToken);
        ThrowIfFailed(await users.DeleteAsync(user));
        await audit.WriteAsync(caller.TenantId, AuditActions.MemberRemoved, user.Email, $"role={string.Join(',', roles)}", cancellationToken: cancellationToken);
    }

    private async Task<bool> ExistsAnywhereAsync(string email, CancellationToken cancellationToken)
    {
        // E-mail addresses are unique across the platform, so look beyond the caller's tenant (only a yes/no leaves here).
        await using var db = systemDb.CreateDbContext();
        var normalized = email.ToUpperInvariant();
        return await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken);
    }

    private AsyncServiceScope CallerScope(Caller caller)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Set(caller);
        return scope;
    }

    private Caller RequireTenantAdmin() =>
        tenantContext.Caller is { } c && (c.IsInRole(PortalRoles.TenantAdmin) || c.IsPlatformAdmin)
            ? c
            : throw new UnauthorizedAccessException("Only a tenant administrator can manage members.");

    private static void ThrowIfFailed(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new MemberValidationException(result.Errors.Text());
        }
    }
}
