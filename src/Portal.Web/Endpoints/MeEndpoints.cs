using System.Security.Claims;
using Portal.Core.Accounts;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Web.Endpoints;

/// <summary>The caller's identity and quota picture.</summary>
public sealed record MeResponse(MeUser User, MeTenant Tenant, IReadOnlyList<string> Roles, string Channel, MeQuota Quota);

public sealed record MeUser(string Id, string Email, string? DisplayName);

public sealed record MeTenant(Guid Id, string Name);

public sealed record MeQuota(IReadOnlyList<QuotaLineDto> Tenant, IReadOnlyList<QuotaLineDto> User);

/// <summary>One metric's consumption in the current period.</summary>
public sealed record QuotaLineDto(string Metric, long Used, long? Limit, long? Remaining, long? DailyUsed, long? DailyLimit, DateTimeOffset? ResetsAt)
{
    public static QuotaLineDto From(QuotaUsageLine l) => new(l.Metric.ToString(), l.Used, l.Limit, l.Remaining, l.DailyUsed, l.DailyLimit, l.ResetsAt);
}

internal static class MeEndpoints
{
    public static void MapMeEndpoints(this RouteGroupBuilder v1) =>
        v1.MapGet("/me", GetMeAsync)
            .WithName("GetMe")
            .WithTags("Account")
            .WithSummary("Who am I: user, tenant, roles and quota status")
            .WithDescription("The first call to make with a new key. Quota numbers are for the current calendar month (UTC); the request itself is counted.");

    private static async Task<MeResponse> GetMeAsync(ClaimsPrincipal principal, ITenantContext tenant, IQuotaService quota, CancellationToken cancellationToken)
    {
        var caller = tenant.Caller!;
        var status = await quota.GetStatusAsync(cancellationToken);
        return new MeResponse(
            new MeUser(caller.UserId, principal.FindFirstValue(ClaimTypes.Email) ?? string.Empty, principal.FindFirstValue(PortalClaims.DisplayName)),
            new MeTenant(caller.TenantId, principal.FindFirstValue(PortalClaims.TenantName) ?? string.Empty),
            [.. caller.Roles],
            caller.ApiKeyId is null ? "ui" : "api",
            new MeQuota([.. status.Tenant.Select(QuotaLineDto.From)], [.. status.User.Select(QuotaLineDto.From)]));
    }
}
