using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Data;

namespace Portal.Web.ApiKeys;

/// <summary>Authenticates <c>Authorization: Bearer ptl_…</c> as the key's user and tenant. Answers with problem details.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SystemDbContextFactory systemDb,
    IProblemDetailsService problems,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string FailureItem = "portal:api-key-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var presented = header["Bearer ".Length..].Trim();
        await using var db = systemDb.CreateDbContext();
        var key = await ApiKeyService.VerifyAsync(db, presented, clock.GetUtcNow(), Context.RequestAborted);
        if (key is null)
        {
            return Fail("The API key is not valid or has been revoked.");
        }

        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == key.UserId, Context.RequestAborted);
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == key.TenantId, Context.RequestAborted);
        if (user is null || tenant is null)
        {
            return Fail("The API key's account no longer exists.");
        }

        if (!tenant.IsActive)
        {
            return Fail($"The organisation '{tenant.Name}' has been deactivated.");
        }

        if (user.LockoutEnd > clock.GetUtcNow())
        {
            return Fail("The API key's account is locked.");
        }

        var roles = await (from ur in db.UserRoles
                           join r in db.Roles on ur.RoleId equals r.Id
                           where ur.UserId == user.Id
                           select r.Name).ToListAsync(Context.RequestAborted);
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, user.Id),
            new(ClaimTypes.Name, user.UserName ?? user.Id),
            new(ClaimTypes.Email, user.Email ?? string.Empty),
            new(PortalClaims.TenantId, tenant.Id.ToString()),
            new(PortalClaims.TenantName, tenant.Name),
            new(PortalClaims.ApiKeyId, key.KeyId.ToString()),
            new(PortalClaims.DisplayName, user.DisplayName ?? user.Email ?? user.Id),
        ];
        claims.AddRange(roles.Where(r => r is not null).Select(r => new Claim(ClaimTypes.Role, r!)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureItem] = reason;
        return AuthenticateResult.Fail(reason);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Authentication required",
                Detail = Context.Items[FailureItem] as string
                    ?? "Send an API key as 'Authorization: Bearer <key>'. Create keys on the API keys page of the portal.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = "Your role does not allow this operation.",
            },
        });
    }
}
