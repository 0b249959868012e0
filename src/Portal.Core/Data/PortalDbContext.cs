using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using System.Linq.Expressions;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Audit;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Data;

/// <summary>
/// The portal's database. Tenant safety lives here and nowhere else: every <see cref="ITenantOwned"/> entity gets a
/// global query filter for the caller's tenant, and <see cref="SaveChangesAsync(bool, CancellationToken)"/> stamps new
/// rows with that tenant and refuses writes into any other.
/// </summary>
public class PortalDbContext(DbContextOptions<PortalDbContext> options, ITenantContext tenantContext)
    : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    /// <summary>
    /// The key ring that protects sign-in cookies and antiforgery tokens, kept in the database so that every web node on
    /// the same database accepts a cookie another node issued (not tenant data: no tenant filter).
    /// </summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<QuotaPlan> QuotaPlans => Set<QuotaPlan>();
    public DbSet<QuotaPlanLimit> QuotaPlanLimits => Set<QuotaPlanLimit>();
    public DbSet<QuotaLimit> QuotaLimits => Set<QuotaLimit>();
    public DbSet<QuotaCounter> QuotaCounters => Set<QuotaCounter>();
    public DbSet<QuotaReservationRecord> QuotaReservations => Set<QuotaReservationRecord>();
    public DbSet<UsageRecord> UsageRecords => Set<UsageRecord>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Datasets.Dataset> Datasets => Set<Datasets.Dataset>();
    public DbSet<Runs.Run> Runs => Set<Runs.Run>();
    public DbSet<Assistant.KnowledgeDocument> KnowledgeDocuments => Set<Assistant.KnowledgeDocument>();
    public DbSet<Assistant.KnowledgePassage> KnowledgePassages => Set<Assistant.KnowledgePassage>();
    public DbSet<Assistant.Conversation> Conversations => Set<Assistant.Conversation>();
    public DbSet<Assistant.ConversationMessage> ConversationMessages => Set<Assistant.ConversationMessage>();

    /// <summary>The context sees and writes every tenant's rows (system work; see <see cref="SystemDbContextFactory"/>).</summary>
    public bool SeesEveryTenant => IsSystem;

    // Read by the query filters at query time (EF parameterises them per context instance).
    private Guid? CurrentTenantId => tenantContext.Caller?.TenantId;
    private bool IsSystem => tenantContext.IsSystem;
    private bool IsAnonymous => tenantContext.Caller is null;

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);

        foreach (var entityType in builder.Model.GetEntityTypes().Where(t => typeof(ITenantOwned).IsAssignableFrom(t.ClrType)))
        {
            var method = typeof(PortalDbContext).GetMethod(nameof(TenantFilter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                .MakeGenericMethod(entityType.ClrType);
            builder.Entity(entityType.ClrType).HasQueryFilter((LambdaExpression)method.Invoke(this, null)!);
        }

        // Users: a signed-in caller sees only their tenant's users. Anonymous requests (sign-in, registration,
        // password reset) must find a user by e-mail before any tenant is known, which is Identity's own job.
        builder.Entity<PortalUser>().HasQueryFilter(u => IsSystem || IsAnonymous || u.TenantId == CurrentTenantId);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or sort DateTimeOffset; all times are UTC, so store them as sortable integers there.
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
        }
    }

    private Expression<Func<T, bool>> TenantFilter<T>()
        where T : class, ITenantOwned =>
        e => IsSystem || e.TenantId == CurrentTenantId;

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        GuardTenantWrites();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        GuardTenantWrites();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private void GuardTenantWrites()
    {
        if (IsSystem)
        {
            return;
        }

        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            switch (entry.Entity)
            {
                case ITenantOwned owned:
                    var current = CurrentTenantId
                        ?? throw new TenantAccessException($"{entry.Metadata.ClrType.Name} is tenant data and cannot be written without a signed-in caller.");
                    if (entry.State == EntityState.Added && owned.TenantId == Guid.Empty)
                    {
                        owned.TenantId = current;
                    }

                    var original = entry.State == EntityState.Added
                        ? owned.TenantId
                        : entry.Property(nameof(ITenantOwned.TenantId)).OriginalValue as Guid? ?? Guid.Empty;
                    if (owned.TenantId != current || original != current)
                    {
                        throw new TenantAccessException($"Refused to write {entry.Metadata.ClrType.Name} into another tenant.");
                    }

                    break;
                case PortalUser user when !IsAnonymous:
                    var originalTenant = entry.State == EntityState.Added
                        ? user.TenantId
                        : entry.Property(nameof(PortalUser.TenantId)).OriginalValue as Guid? ?? Guid.Empty;
                    if (user.TenantId != CurrentTenantId || originalTenant != CurrentTenantId)
                    {
                        throw new TenantAccessException("Refused to write a user of another tenant.");
                    }

                    break;
                case Tenant:
                    throw new TenantAccessException("Tenants are changed only by platform administration.");
            }
        }
    }
}
