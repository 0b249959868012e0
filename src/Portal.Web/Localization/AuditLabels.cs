using Microsoft.Extensions.Localization;
using Portal.Core.Audit;

namespace Portal.Web.Localization;

/// <summary>Audit actions in words, in the page's language (the code itself for one this portal does not know).</summary>
public static class AuditLabels
{
    public static string Action(this IStringLocalizer L, string code) => code switch
    {
        AuditActions.SignInSucceeded => L["Signed in"],
        AuditActions.SignInPasswordOkTwoFactorRequired => L["Password accepted, two-factor code required"],
        AuditActions.SignInLockedOut => L["Sign-in refused: account locked"],
        AuditActions.SignInNotAllowed => L["Sign-in refused: e-mail not confirmed"],
        AuditActions.SignInFailed => L["Sign-in failed: wrong password"],
        AuditActions.SignInRefusedDeactivated => L["Sign-in refused: organisation deactivated"],
        AuditActions.TwoFactorEnabled => L["Two-factor authentication turned on"],
        AuditActions.TwoFactorDisabled => L["Two-factor authentication turned off"],
        AuditActions.TwoFactorReset => L["Authenticator key reset"],
        AuditActions.TwoFactorRecoveryCodesRegenerated => L["New recovery codes generated"],
        AuditActions.AccountRegistered => L["Organisation registered"],
        AuditActions.ApiKeyCreated => L["API key created"],
        AuditActions.ApiKeyRevoked => L["API key revoked"],
        AuditActions.MemberAdded => L["Member added"],
        AuditActions.MemberRemoved => L["Member removed"],
        AuditActions.MemberRoleChanged => L["Member's role changed"],
        AuditActions.MemberLocked => L["Member locked"],
        AuditActions.MemberUnlocked => L["Member unlocked"],
        AuditActions.TenantCreated => L["Organisation created"],
        AuditActions.TenantRenamed => L["Organisation renamed"],
        AuditActions.TenantActivated => L["Organisation reactivated"],
        AuditActions.TenantDeactivated => L["Organisation deactivated"],
        AuditActions.QuotaPlanCreated => L["Plan created"],
        AuditActions.QuotaPlanChanged => L["Plan changed"],
        AuditActions.QuotaPlanAssigned => L["Plan assigned to an organisation"],
        AuditActions.QuotaTenantOverride => L["Organisation's limit changed"],
        AuditActions.QuotaUserLimit => L["Member's limit changed"],
        AuditActions.QuotaKeyLimit => L["API key's limit changed"],
        AuditActions.TemplatesAllowedChanged => L["Templates allowed changed"],
        AuditActions.TemplatesDisabledChanged => L["Templates turned off changed"],
        AuditActions.DatasetDeleted => L["Dataset deleted"],
        AuditActions.RunResultsDeleted => L["Run results deleted"],
        AuditActions.KnowledgeAdded => L["Document added to the knowledge base"],
        AuditActions.KnowledgeReindexed => L["Document indexed again"],
        AuditActions.KnowledgeDeleted => L["Document deleted from the knowledge base"],
        AuditActions.AssistantGradedWorkRule => L["Graded-work rule changed"],
        _ => code,
    };
}
