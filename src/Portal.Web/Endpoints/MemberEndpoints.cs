using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Portal.Core.Accounts;
using Portal.Core.Tenancy;
using Portal.Web.Components.Account;

namespace Portal.Web.Endpoints;

public sealed record AddMemberApiRequest(string Email, string? DisplayName, string Role, string? Password);

public sealed record ChangeRoleRequest(string Role);

internal static class MemberEndpoints
{
    public static void MapMemberEndpoints(this RouteGroupBuilder v1)
    {
        // /admin/members is the documented path; /members stays for clients written against the first release.
        foreach (var (path, suffix) in new[] { ("/admin/members", string.Empty), ("/members", "Legacy") })
        {
            var members = v1.MapGroup(path).WithTags("Administration").RequireAuthorization(PortalPolicies.TenantAdmin);
            members.MapGet("/", async (MemberService service, CancellationToken ct) => TypedResults.Ok(await service.ListAsync(ct)))
                .WithName("ListMembers" + suffix).WithSummary("Members of your organisation (TenantAdmin)");
            members.MapPost("/", AddAsync)
                .WithName("AddMember" + suffix).WithSummary("Add a member: with a password, or invited by e-mail when none is given (TenantAdmin)");
            members.MapPut("/{userId}/role", ChangeRoleAsync)
                .WithName("ChangeMemberRole" + suffix).WithSummary("Change a member's role (TenantAdmin)");
            members.MapPost("/{userId}/lock", async (string userId, MemberService service, CancellationToken ct) =>
                {
                    await service.SetLockedAsync(userId, true, ct);
                    return TypedResults.NoContent();
                })
                .WithName("LockMember" + suffix).WithSummary("Lock a member out until unlocked; their keys stop working (TenantAdmin)");
            members.MapPost("/{userId}/unlock", async (string userId, MemberService service, CancellationToken ct) =>
                {
                    await service.SetLockedAsync(userId, false, ct);
                    return TypedResults.NoContent();
                })
                .WithName("UnlockMember" + suffix).WithSummary("Let a locked member in again (TenantAdmin)");
            members.MapDelete("/{userId}", async (string userId, MemberService service, CancellationToken ct) =>
                {
                    await service.RemoveAsync(userId, ct);
                    return TypedResults.NoContent();
                })
                .WithName("RemoveMember" + suffix).WithSummary("Remove a member; their keys are revoked, their data stays with the organisation (TenantAdmin)");
            if (suffix.Length > 0)
            {
                members.ExcludeFromDescription();
            }
        }
    }

    private static async Task<Results<Created<MemberSummary>, ValidationProblem>> AddAsync(
        AddMemberApiRequest request, MemberService service, AccountLinks links, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || !request.Email.Contains('@', StringComparison.Ordinal))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["email"] = ["A valid e-mail address is required."] });
        }

        try
        {
            var onboarding = string.IsNullOrEmpty(request.Password) ? MemberOnboarding.Invite : MemberOnboarding.CreateWithPassword;
            var member = await service.AddAsync(
                new AddMemberRequest(request.Email, request.DisplayName, request.Role, onboarding, request.Password),
                links.SendInvitationAsync,
                ct);
            return TypedResults.Created($"{ApiPaths.V1}/admin/members/{member.UserId}", member);
        }
        catch (MemberValidationException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["member"] = [e.Message] });
        }
    }

    private static async Task<Results<NoContent, ValidationProblem>> ChangeRoleAsync(
        string userId, ChangeRoleRequest request, MemberService service, CancellationToken ct)
    {
        try
        {
            await service.ChangeRoleAsync(userId, request.Role, ct);
            return TypedResults.NoContent();
        }
        catch (MemberValidationException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["member"] = [e.Message] });
        }
    }
}
