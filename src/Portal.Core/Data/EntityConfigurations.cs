using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Audit;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Data;

internal sealed class TenantConfiguration : IEntityTypeConfiguration<Tenant>
{
    public void Configure(EntityTypeBuilder<Tenant> b)
    {
        b.Property(t => t.Name).HasMaxLength(200);
        b.Property(t => t.Slug).HasMaxLength(64);
        b.HasIndex(t => t.Slug).IsUnique();
        b.HasOne(t => t.QuotaPlan).WithMany().HasForeignKey(t => t.QuotaPlanId).OnDelete(DeleteBehavior.Restrict);
        b.PrimitiveCollection(t => t.AllowedTemplates);
        b.PrimitiveCollection(t => t.DisabledTemplates);
    }
}

internal sealed class PortalUserConfiguration : IEntityTypeConfiguration<PortalUser>
{
    public void Configure(EntityTypeBuilder<PortalUser> b)
    {
        b.Property(u => u.DisplayName).HasMaxLength(200);
        b.Property(u => u.PreferredCulture).HasMaxLength(16);
        b.HasOne(u => u.Tenant).WithMany().HasForeignKey(u => u.TenantId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(u => u.TenantId);
    }
}

internal sealed class QuotaPlanConfiguration : IEntityTypeConfiguration<QuotaPlan>
{
    public void Configure(EntityTypeBuilder<QuotaPlan> b)
    {
        b.Property(p => p.Name).HasMaxLength(100);
        b.HasIndex(p => p.Name).IsUnique();
        b.HasMany(p => p.Limits).WithOne().HasForeignKey(l => l.QuotaPlanId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class QuotaPlanLimitConfiguration : IEntityTypeConfiguration<QuotaPlanLimit>
{
    public void Configure(EntityTypeBuilder<QuotaPlanLimit> b)
    {
        b.HasIndex(l => new { l.QuotaPlanId, l.Metric }).IsUnique();
        b.Ignore(l => l.Values);
    }
}

internal sealed class QuotaLimitConfiguration : IEntityTypeConfiguration<QuotaLimit>
{
    public void Configure(EntityTypeBuilder<QuotaLimit> b)
    {
        b.Property(l => l.SubjectId).HasMaxLength(64);
        b.Ignore(l => l.Values);
        b.HasIndex(l => new { l.TenantId, l.Scope, l.SubjectId, l.Metric }).IsUnique();
    }
}

internal sealed class QuotaCounterConfiguration : IEntityTypeConfiguration<QuotaCounter>
{
    public void Configure(EntityTypeBuilder<QuotaCounter> b)
    {
        b.ToTable("QuotaCounters");
        b.Property(c => c.Scope).HasMaxLength(80);
        b.Property(c => c.Period).HasMaxLength(16);
        b.HasIndex(c => new { c.Scope, c.Metric, c.Period }).IsUnique();
        b.HasIndex(c => c.TenantId);
    }
}

internal sealed class QuotaReservationConfiguration : IEntityTypeConfiguration<QuotaReservationRecord>
{
    public void Configure(EntityTypeBuilder<QuotaReservationRecord> b)
    {
        b.ToTable("QuotaReservations");
        b.Property(r => r.UserId).HasMaxLength(64);
        b.Property(r => r.TemplateId).HasMaxLength(100);
        b.Property(r => r.Counters).HasMaxLength(1000);
        b.HasIndex(r => r.ExpiresAt);
        b.HasIndex(r => r.TenantId);
    }
}

internal sealed class UsageRecordConfiguration : IEntityTypeConfiguration<UsageRecord>
{
    public void Configure(EntityTypeBuilder<UsageRecord> b)
    {
        b.Property(u => u.UserId).HasMaxLength(64);
        b.Property(u => u.TemplateId).HasMaxLength(100);
        b.HasIndex(u => new { u.TenantId, u.Timestamp });
        b.HasIndex(u => new { u.UserId, u.Timestamp });
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.Property(k => k.UserId).HasMaxLength(64);
        b.Property(k => k.Name).HasMaxLength(100);
        b.Property(k => k.Prefix).HasMaxLength(16);
        b.Property(k => k.SecretHash).HasMaxLength(64);
        b.HasIndex(k => k.Prefix);
        b.HasIndex(k => new { k.TenantId, k.UserId });
        b.Ignore(k => k.IsActive);
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.Property(a => a.Action).HasMaxLength(100);
        b.Property(a => a.ActorUserId).HasMaxLength(64);
        b.Property(a => a.Target).HasMaxLength(300);
        b.Property(a => a.IpAddress).HasMaxLength(64);
        b.HasIndex(a => new { a.TenantId, a.Timestamp });
    }
}

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<Datasets.Dataset>
{
    public void Configure(EntityTypeBuilder<Datasets.Dataset> b)
    {
        b.Property(d => d.OwnerId).HasMaxLength(64);
        b.Property(d => d.Name).HasMaxLength(200);
        b.Property(d => d.FileName).HasMaxLength(260);
        b.Property(d => d.StoredPath).HasMaxLength(300);
        b.Property(d => d.ReadAs).HasMaxLength(100);
        b.Property(d => d.Columns).HasJsonConversion();
        b.HasIndex(d => new { d.TenantId, d.OwnerId, d.CreatedAt });
    }
}

internal sealed class RunConfiguration : IEntityTypeConfiguration<Runs.Run>
{
    public void Configure(EntityTypeBuilder<Runs.Run> b)
    {
        b.Property(r => r.OwnerId).HasMaxLength(64);
        b.Property(r => r.TemplateId).HasMaxLength(100);
        b.Property(r => r.ModelVersion).HasMaxLength(50);
        b.Property(r => r.DatasetName).HasMaxLength(200);
        b.Property(r => r.WorkerId).HasMaxLength(100);
        b.Property(r => r.LabelColumn).HasMaxLength(200);
        b.Property(r => r.Error).HasMaxLength(2000);
        b.Property(r => r.ErrorText).HasJsonConversion();
        b.Property(r => r.Mapping).HasJsonConversion();
        b.Property(r => r.Metrics).HasJsonConversion();
        b.HasIndex(r => new { r.State, r.CreatedAt });
        b.HasIndex(r => new { r.TenantId, r.OwnerId, r.CreatedAt });
        b.HasIndex(r => r.DatasetId);
    }
}

internal static class JsonConversion
{
    private static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>Stores a small value object as JSON text, compared by its JSON.</summary>
    public static PropertyBuilder<T> HasJsonConversion<T>(this PropertyBuilder<T> property) =>
        property.HasConversion(
            v => System.Text.Json.JsonSerializer.Serialize(v, Options),
            s => System.Text.Json.JsonSerializer.Deserialize<T>(s, Options)!,
            new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<T>(
                (a, b) => System.Text.Json.JsonSerializer.Serialize(a, Options) == System.Text.Json.JsonSerializer.Serialize(b, Options),
                v => System.Text.Json.JsonSerializer.Serialize(v, Options).GetHashCode(StringComparison.Ordinal),
                v => System.Text.Json.JsonSerializer.Deserialize<T>(System.Text.Json.JsonSerializer.Serialize(v, Options), Options)!));
}

internal sealed class KnowledgeDocumentConfiguration : IEntityTypeConfiguration<Assistant.KnowledgeDocument>
{
    public void Configure(EntityTypeBuilder<Assistant.KnowledgeDocument> b)
    {
        b.Property(d => d.Title).HasMaxLength(300);
        b.Property(d => d.FileName).HasMaxLength(300);
        b.Property(d => d.Format).HasMaxLength(16);
        b.Property(d => d.UploadedBy).HasMaxLength(64);
        b.Property(d => d.EmbeddingModel).HasMaxLength(100);
        b.Property(d => d.Attribution).HasMaxLength(1000);
        b.HasIndex(d => d.TenantId);
    }
}

internal sealed class KnowledgePassageConfiguration : IEntityTypeConfiguration<Assistant.KnowledgePassage>
{
    public void Configure(EntityTypeBuilder<Assistant.KnowledgePassage> b)
    {
        b.Property(p => p.Heading).HasMaxLength(1000);
        b.HasIndex(p => new { p.TenantId, p.DocumentId, p.Ordinal });
        b.HasOne<Assistant.KnowledgeDocument>().WithMany().HasForeignKey(p => p.DocumentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ConversationConfiguration : IEntityTypeConfiguration<Assistant.Conversation>
{
    public void Configure(EntityTypeBuilder<Assistant.Conversation> b)
    {
        b.Property(c => c.UserId).HasMaxLength(64);
        b.Property(c => c.TemplateId).HasMaxLength(100);
        b.Property(c => c.Title).HasMaxLength(200);
        b.HasIndex(c => new { c.TenantId, c.UserId, c.UpdatedAt });
    }
}

internal sealed class ConversationMessageConfiguration : IEntityTypeConfiguration<Assistant.ConversationMessage>
{
    public void Configure(EntityTypeBuilder<Assistant.ConversationMessage> b)
    {
        b.Property(m => m.Role).HasMaxLength(16);
        b.Property(m => m.Engine).HasMaxLength(100);
        b.Property(m => m.Citations).HasConversion(
            v => System.Text.Json.JsonSerializer.Serialize(v, System.Text.Json.JsonSerializerOptions.Web),
            v => System.Text.Json.JsonSerializer.Deserialize<List<Assistant.Citation>>(v, System.Text.Json.JsonSerializerOptions.Web) ?? new List<Assistant.Citation>(),
            new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<List<Assistant.Citation>>((a, b) => a!.SequenceEqual(b!), v => v.Count, v => v.ToList()));
        b.HasIndex(m => new { m.ConversationId, m.Id });
        b.HasOne<Assistant.Conversation>().WithMany().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
    }
}
