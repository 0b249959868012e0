using Microsoft.AspNetCore.Identity;
using Portal.Core.Audit;
using Portal.Core.Tenancy;

namespace Portal.Core.Accounts;

/// <summary>Self-service sign-up: a new organisation (tenant) on the default plan with the registrant as its TenantAdmin.</summary>
public sealed class RegistrationService(UserManager<PortalUser> users, TenantService tenants, IAuditLog audit, TimeProvider clock)
{
    /// <summary>The new account, or why there is none.</summary>
    public sealed record Result(PortalUser? User, LocalizableText? Error)
    {
        public bool Succeeded => User is not null;
    }

    public async Task<Result> RegisterOrganisationAsync(string email, string password, string organisation, string? displayName, CancellationToken cancellationToken = default)
    {
        email = email.Trim();
        if (await users.FindByEmailAsync(email) is not null)
        {
            return new Result(null, new LocalizableText("An account for {0} already exists.", email));
        }

        // Check the password before creating anything, so a weak password leaves no orphan tenant behind.
        var probe = new PortalUser { UserName = email, Email = email };
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, probe, password);
            if (!check.Succeeded)
            {
                return new Result(null, check.Errors.Text());
            }
        }

        Tenant tenant;
        try
        {
            tenant = await tenants.CreateForRegistrationAsync(organisation, cancellationToken);
        }
        catch (TenantValidationException e)
        {
            return new Result(null, e.Text);
        }

        var user = new PortalUser
        {
            UserName = email,
            Email = email,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim(),
            TenantId = tenant.Id,
            CreatedAt = clock.GetUtcNow(),
        };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return new Result(null, created.Errors.Text());
        }

        await users.AddToRoleAsync(user, PortalRoles.TenantAdmin);
        await audit.WriteAsync(tenant.Id, AuditActions.AccountRegistered, email, after: $"tenant={tenant.Slug}", cancellationToken: cancellationToken);
        return new Result(user, null);
    }
}
