using Microsoft.EntityFrameworkCore;
using Portal.Core.Accounts;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Tenancy;

namespace Portal.Core.Templates;

/// <summary>
/// Which templates a tenant's users may use: those the platform allows the tenant (null: all), minus those the
/// tenant's admin switched off.
/// </summary>
public sealed record TemplateAccess(IReadOnlyList<string>? Allowed, IReadOnlyList<string> Disabled)
{
    public static TemplateAccess Everything { get; } = new(null, []);

    public bool AllowedByPlatform(string templateId) => Allowed is null || Allowed.Contains(templateId, StringComparer.Ordinal);

    public bool Allows(string templateId) => AllowedByPlatform(templateId) && !Disabled.Contains(templateId, StringComparer.Ordinal);
}

/// <summary>The caller's organisation may not use a template (answered as 403).</summary>
public sealed class TemplateAccessDeniedException(string templateId)
    : Exception($"Your organisation does not have access to the template '{templateId}'. Ask your administrator.")
{
    public string TemplateId { get; } = templateId;
}

/// <summary>A refused change of template access, with a message fit for the user.</summary>
public sealed class TemplateAccessValidationException(string format, params object[] args) : LocalizableException(new LocalizableText(format, args));

/// <summary>
/// The one place template access is decided and changed. Listing pages and APIs filter with <see cref="VisibleAsync"/>;
/// every metered use (predictions, runs, assistants) calls <see cref="EnsureAllowedAsync"/> before it reserves quota.
/// </summary>
public sealed class TemplateAccessService(SystemDbContextFactory systemDb, ITenantContext tenantContext, ITemplateCatalog catalog, IAuditLog audit)
{
    public async Task<TemplateAccess> ForCallerAsync(CancellationToken cancellationToken = default)
    {
        var caller = tenantContext.Caller ?? throw new TenantAccessException("Template access needs a signed-in caller.");
        return await LoadAsync(caller.TenantId, cancellationToken);
    }

    /// <summary>A tenant's access (PlatformAdmin for any tenant; a tenant admin for their own).</summary>
    public async Task<TemplateAccess> ForTenantAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var caller = tenantContext.Caller ?? throw new TenantAccessException("Template access needs a signed-in caller.");
        if (!caller.IsPlatformAdmin && caller.TenantId != tenantId)
        {
            throw new KeyNotFoundException("There is no such tenant.");
        }

        return await LoadAsync(tenantId, cancellationToken);
    }

    /// <summary>The packs the caller's organisation may use, in catalog order.</summary>
    public async Task<IReadOnlyList<TemplatePack>> VisibleAsync(CancellationToken cancellationToken = default)
    {
        var access = await ForCallerAsync(cancellationToken);
        return [.. catalog.All.Where(p => access.Allows(p.Id))];
    }

    /// <summary>Throws <see cref="TemplateAccessDeniedException"/> unless the caller's organisation may use the template.</summary>
    public async Task EnsureAllowedAsync(string templateId, CancellationToken cancellationToken = default)
    {
        if (!(await ForCallerAsync(cancellationToken)).Allows(templateId))
        {
            throw new TemplateAccessDeniedException(templateId);
        }
    }

    /// <summary>Sets the templates the platform allows a tenant (PlatformAdmin); null allows every template.</summary>
    public async Task<TemplateAccess> SetAllowedAsync(Guid tenantId, IReadOnlyList<string>? allowed, CancellationToken cancellationToken = default)
    {
        if (tenantContext.Caller is not { IsPlatformAdmin: true })
        {
            throw new UnauthorizedAccessException("Only a platform administrator decides which templates a tenant may use.");
        }

        var list = allowed is null ? null : Known(allowed);
        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == tenantId, cancellationToken) ?? throw new KeyNotFoundException("There is no such tenant.");
        var before = Describe(tenant.AllowedTemplates);
        tenant.AllowedTemplates = list;
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(tenantId, AuditActions.TemplatesAllowedChanged, tenant.Slug, before, Describe(list), cancellationToken);
        return new TemplateAccess(tenant.AllowedTemplates, tenant.DisabledTemplates);
    }

    /// <summary>Switches templates on or off for the caller's own organisation (TenantAdmin), within what the platform allows.</summary>
    public async Task<TemplateAccess> SetDisabledAsync(IReadOnlyList<string> disabled, CancellationToken cancellationToken = default)
    {
        var caller = tenantContext.Caller is { } c && (c.IsInRole(PortalRoles.TenantAdmin) || c.IsPlatformAdmin)
            ? c
            : throw new UnauthorizedAccessException("Only a tenant administrator switches templates for the organisation.");
        var list = Known(disabled);
        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.SingleAsync(t => t.Id == caller.TenantId, cancellationToken);
        var before = string.Join(',', tenant.DisabledTemplates);
        tenant.DisabledTemplates = list;
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(tenant.Id, AuditActions.TemplatesDisabledChanged, tenant.Slug, before, string.Join(',', list), cancellationToken);
        return new TemplateAccess(tenant.AllowedTemplates, tenant.DisabledTemplates);
    }

    private async Task<TemplateAccess> LoadAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var db = systemDb.CreateDbContext();
        var row = await db.Tenants.AsNoTracking()
            .Where(t => t.Id == tenantId)
            .Select(t => new { t.AllowedTemplates, t.DisabledTemplates })
            .SingleOrDefaultAsync(cancellationToken);
        return row is null ? new TemplateAccess([], []) : new TemplateAccess(row.AllowedTemplates, row.DisabledTemplates);
    }

    private List<string> Known(IReadOnlyList<string> ids)
    {
        var unknown = ids.Where(id => catalog.Find(id) is null).ToList();
        return unknown.Count > 0
            ? throw new TemplateAccessValidationException("Unknown template(s): {0}.", string.Join(", ", unknown))
            : [.. ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private static string Describe(IReadOnlyList<string>? allowed) => allowed is null ? "all" : string.Join(',', allowed);
}
