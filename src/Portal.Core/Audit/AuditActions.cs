using System.Reflection;

namespace Portal.Core.Audit;

/// <summary>
/// Every action the audit log records, by its stable code (what the log stores, the API and the CSV export show, and
/// the audit page filters by prefix: <c>signin.</c>, <c>member.</c>, <c>quota.</c> …). Written only through these.
/// </summary>
public static class AuditActions
{
    public const string SignInSucceeded = "signin.succeeded";
    public const string SignInPasswordOkTwoFactorRequired = "signin.password-ok-2fa-required";
    public const string SignInLockedOut = "signin.locked-out";
    public const string SignInNotAllowed = "signin.not-allowed";
    public const string SignInFailed = "signin.failed";
    public const string SignInRefusedDeactivated = "signin.refused-deactivated";
    public const string TwoFactorEnabled = "2fa.enabled";
    public const string TwoFactorDisabled = "2fa.disabled";
    public const string TwoFactorReset = "2fa.reset";
    public const string TwoFactorRecoveryCodesRegenerated = "2fa.recovery-codes-regenerated";
    public const string AccountRegistered = "account.registered";
    public const string ApiKeyCreated = "apikey.created";
    public const string ApiKeyRevoked = "apikey.revoked";
    public const string MemberAdded = "member.added";
    public const string MemberRemoved = "member.removed";
    public const string MemberRoleChanged = "member.role-changed";
    public const string MemberLocked = "member.locked";
    public const string MemberUnlocked = "member.unlocked";
    public const string TenantCreated = "tenant.created";
    public const string TenantRenamed = "tenant.renamed";
    public const string TenantActivated = "tenant.activated";
    public const string TenantDeactivated = "tenant.deactivated";
    public const string QuotaPlanCreated = "quota.plan-created";
    public const string QuotaPlanChanged = "quota.plan-changed";
    public const string QuotaPlanAssigned = "quota.plan-assigned";
    public const string QuotaTenantOverride = "quota.tenant-override";
    public const string QuotaUserLimit = "quota.user-limit";
    public const string QuotaKeyLimit = "quota.key-limit";
    public const string TemplatesAllowedChanged = "templates.allowed-changed";
    public const string TemplatesDisabledChanged = "templates.disabled-changed";
    public const string DatasetDeleted = "dataset.deleted";
    public const string RunResultsDeleted = "run.results.deleted";
    public const string KnowledgeAdded = "knowledge.added";
    public const string KnowledgeReindexed = "knowledge.reindexed";
    public const string KnowledgeDeleted = "knowledge.deleted";
    public const string AssistantGradedWorkRule = "assistant.graded-work-rule";

    /// <summary>All the codes above.</summary>
    public static IReadOnlyList<string> All { get; } =
        [.. typeof(AuditActions).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];
}
