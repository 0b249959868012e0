using System.Collections;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Accounts;
using Portal.Core.ApiKeys;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Tests.Data;

/// <summary>
/// Moving a portal's data from its SQLite file to a new database (PostgreSQL in test.sh's second pass, another SQLite
/// file otherwise): every row of every table arrives with the same values, the copied data works (a demo password signs
/// in, an API key verifies, tenants still see only their own rows, new rows get fresh keys), and a database that already
/// holds data is refused.
/// </summary>
public sealed class DatabaseCopierTests : IAsyncLifetime
{
    private CoreTestHost _source = null!;
    private CoreTestHost _target = null!;

    public async Task InitializeAsync()
    {
        _source = await CoreTestHost.StartAsync(demo: true, sqlite: true);
        _target = await CoreTestHost.StartAsync(initialize: false);
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _target.DisposeAsync();
    }

    [Fact]
    public async Task Every_row_arrives_with_its_values_and_the_copied_portal_works()
    {
        // Beyond the demo seed: usage, a quota counter, an API key and audit entries of a member's own.
        var (bankId, member) = await _source.CreateTenantAsync("copy-bank", new Dictionary<QuotaMetric, (long?, long?)> { [QuotaMetric.PredictionRows] = (1_000, null) });
        string secret;
        await using (var scope = _source.ScopeFor(member))
        {
            var quota = scope.ServiceProvider.GetRequiredService<IQuotaService>();
            await using (var lease = await quota.ReserveAsync(QuotaMetric.PredictionRows, 40))
            {
                await lease.SettleAsync(37);
            }

            secret = (await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync("copied key")).Secret;
        }

        await AddOneOfEverythingAsync(bankId, member.UserId);

        var reported = new List<TableCopy>();
        IReadOnlyList<TableCopy> copied;
        await using (var from = _source.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        await using (var to = _target.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            copied = await DatabaseCopier.CopyAsync(from, to, reported.Add);
        }

        Assert.Equal(copied, reported);
        Assert.Contains(copied, t => t.Table == "AspNetUsers" && t.Rows > 5);
        Assert.All(copied, t => Assert.True(t.Rows > 0, $"{t.Table} is empty: the test would not show that it is copied"));
        var order = copied.Select(t => t.Table).ToList();
        Assert.True(order.IndexOf("Tenants") < order.IndexOf("AspNetUsers"), string.Join(", ", order));
        Assert.True(order.IndexOf("KnowledgeDocuments") < order.IndexOf("KnowledgePassages"), string.Join(", ", order));

        // Every row of every table, value by value (times to PostgreSQL's microsecond).
        await using (var from = _source.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        await using (var to = _target.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            foreach (var table in DatabaseCopier.InDependencyOrder(to.Model))
            {
                var expected = await RowsAsync(from, table);
                Assert.Equal(expected.Count, copied.Single(t => t.Table == table.GetTableName()).Rows);
                Assert.Equal(expected, await RowsAsync(to, table));
            }
        }

        // The copy works as a portal: a demo password, the API key, tenant isolation, fresh keys for new rows.
        await using (var scope = _target.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var admin = await users.FindByEmailAsync("admin@bank.demo");
            Assert.NotNull(admin);
            Assert.True(await users.CheckPasswordAsync(admin, "Portal!Demo1"));
            Assert.Contains(PortalRoles.TenantAdmin, await users.GetRolesAsync(admin));
        }

        await using (var db = _target.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var key = await ApiKeyService.VerifyAsync(db, secret, _target.Clock.GetUtcNow(), CancellationToken.None);
            Assert.Equal((member.UserId, bankId), (key?.UserId, key?.TenantId));
            var before = await db.AuditEntries.MaxAsync(a => a.Id);
            db.AuditEntries.Add(new AuditEntry { TenantId = bankId, Action = "test.after-copy", Timestamp = _target.Clock.GetUtcNow() });
            await db.SaveChangesAsync();
            Assert.True(await db.AuditEntries.MaxAsync(a => a.Id) > before);
        }

        await using (var scope = _target.ScopeFor(member))
        {
            var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            Assert.All(await db.UsageRecords.ToListAsync(), u => Assert.Equal(bankId, u.TenantId));
            Assert.NotEmpty(await db.UsageRecords.ToListAsync());
        }
    }

    [Fact]
    public async Task A_target_that_already_holds_data_is_refused_and_left_as_it_was()
    {
        await _target.Services.InitializePortalDatabaseAsync(); // roles and plans: what starting the portal on it creates
        await using var from = _source.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        await using var to = _target.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var tenants = await to.Tenants.CountAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DatabaseCopier.CopyAsync(from, to));
        Assert.Contains("already holds data", error.Message, StringComparison.Ordinal);
        Assert.Equal(tenants, await to.Tenants.CountAsync());

        await using var scope = _source.ScopeFor(null);
        var tenantScoped = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => DatabaseCopier.CopyAsync(tenantScoped, to));
    }

    /// <summary>A row in each table the demo seed leaves empty, with the kinds of values they hold (JSON, vectors, nulls).</summary>
    private async Task AddOneOfEverythingAsync(Guid tenantId, string userId)
    {
        var now = _source.Clock.GetUtcNow();
        await using var db = _source.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var dataset = new Portal.Core.Datasets.Dataset
        {
            TenantId = tenantId, OwnerId = userId, Name = "loans", FileName = "loans.csv", StoredPath = "t/loans.csv", SizeBytes = 1234, RowCount = 10,
            Columns = [new("age", Portal.Core.Datasets.ColumnKind.Number, 0), new("purpose", Portal.Core.Datasets.ColumnKind.Text, 2)], ReadAs = "CSV, utf-8, ','", CreatedAt = now,
        };
        db.Datasets.Add(dataset);
        db.Runs.Add(new Portal.Core.Runs.Run
        {
            TenantId = tenantId, OwnerId = userId, TemplateId = "finance-credit-risk", ModelVersion = "1.0", DatasetId = dataset.Id, DatasetName = "loans",
            Mapping = new() { ["Age"] = "age" }, State = Portal.Core.Runs.RunState.Succeeded, RowsTotal = 10, RowsDone = 10, Charged = 10, CreatedAt = now,
            StartedAt = now.AddSeconds(1.2345678), FinishedAt = now.AddSeconds(2), Metrics = new() { Auc = 0.8, ConfusionMatrix = [[1, 2], [3, 4]] },
        });
        var document = new Portal.Core.Assistant.KnowledgeDocument
        {
            TenantId = tenantId, Title = "Course", FileName = "course.md", Format = "md", SizeBytes = 10, Text = "Photosynthesis 光合作用", UploadedBy = userId, CreatedAt = now,
        };
        db.KnowledgeDocuments.Add(document);
        db.KnowledgePassages.Add(new Portal.Core.Assistant.KnowledgePassage { TenantId = tenantId, DocumentId = document.Id, Ordinal = 0, Heading = "1", Text = "光合作用", Embedding = [1, 2, 3, 4] });
        var conversation = new Portal.Core.Assistant.Conversation { TenantId = tenantId, UserId = userId, TemplateId = "education-assistant", Title = "Plants", CreatedAt = now, UpdatedAt = now };
        db.Conversations.Add(conversation);
        db.ConversationMessages.Add(new Portal.Core.Assistant.ConversationMessage
        {
            TenantId = tenantId, ConversationId = conversation.Id, Role = "assistant", Content = "See [1].", CreatedAt = now,
            Citations = [new(1, document.Id, "Course", "1", "光合作用", 0.9)],
        });
        db.QuotaLimits.Add(new QuotaLimit { TenantId = tenantId, Scope = QuotaScope.User, SubjectId = userId, Metric = QuotaMetric.Requests, PerMinuteLimit = 30 });
        db.QuotaReservations.Add(new QuotaReservationRecord { TenantId = tenantId, UserId = userId, Metric = QuotaMetric.LlmTokens, Amount = 5, Counters = "[]", CreatedAt = now, ExpiresAt = now.AddHours(1) });
        db.DataProtectionKeys.Add(new Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey { FriendlyName = "key-1", Xml = "<key/>" });
        db.UserClaims.Add(new IdentityUserClaim<string> { UserId = userId, ClaimType = "department", ClaimValue = "loans" });
        db.RoleClaims.Add(new IdentityRoleClaim<string> { RoleId = (await db.Roles.FirstAsync()).Id, ClaimType = "scope", ClaimValue = "all" });
        db.UserLogins.Add(new IdentityUserLogin<string> { UserId = userId, LoginProvider = "Example", ProviderKey = "123", ProviderDisplayName = "Example" });
        db.UserTokens.Add(new IdentityUserToken<string> { UserId = userId, LoginProvider = "[AspNetUserStore]", Name = "AuthenticatorKey", Value = "ABC" });
        await db.SaveChangesAsync();
    }

    /// <summary>A table's rows in key order, each as its column values (times to the microsecond).</summary>
    private static async Task<List<string>> RowsAsync(PortalDbContext db, IEntityType table)
    {
        var set = (IQueryable<object>)typeof(DbContext).GetMethod(nameof(DbContext.Set), Type.EmptyTypes)!.MakeGenericMethod(table.ClrType).Invoke(db, null)!;
        var rows = await set.IgnoreQueryFilters().AsNoTracking().ToListAsync();
        var properties = table.GetProperties().Where(p => p.PropertyInfo is not null).ToList();
        return [.. rows.Select(row => string.Join(" | ", properties.Select(p => Format(p.PropertyInfo!.GetValue(row))))).Order(StringComparer.Ordinal)];
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        DateTimeOffset t => new DateTimeOffset(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero).ToString("O"),
        byte[] bytes => Convert.ToHexString(bytes),
        string text => text,
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Format)) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
