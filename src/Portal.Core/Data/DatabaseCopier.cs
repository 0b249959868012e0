using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Portal.Core.Data;

/// <summary>One table copied: its name and the rows it holds now.</summary>
public sealed record TableCopy(string Table, int Rows);

/// <summary>
/// Copies every row of the portal's database into an empty one, e.g. from the SQLite file of a single machine to the
/// PostgreSQL server that several nodes will share. Both databases are migrated to the current schema first; tables go
/// over principal before dependent (by the model's foreign keys), in key order, a batch at a time, all in one transaction
/// on the target, so a failed copy leaves the target as empty as it was. Keys are kept as they are; PostgreSQL's
/// identity sequences are moved past the copied keys. The uploaded files and results stay where
/// <c>Portal:Storage:Root</c> points: the copy is of the database only.
/// </summary>
/// <remarks>
/// Both contexts must see every tenant (<see cref="SystemDbContextFactory"/>): the copy goes beneath tenancy, as
/// migrations do. Times keep PostgreSQL's precision (a microsecond).
/// </remarks>
public static class DatabaseCopier
{
    private const int BatchRows = 1_000;

    public static async Task<IReadOnlyList<TableCopy>> CopyAsync(
        PortalDbContext source, PortalDbContext target, Action<TableCopy>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!source.SeesEveryTenant || !target.SeesEveryTenant)
        {
            throw new ArgumentException("Both contexts must see every tenant (SystemDbContextFactory): a copy goes beneath tenancy.");
        }

        await source.Database.MigrateAsync(cancellationToken);
        await target.Database.MigrateAsync(cancellationToken);
        var tables = InDependencyOrder(target.Model);
        foreach (var table in tables)
        {
            if (await CountAsync(target, table, cancellationToken) is var rows and > 0)
            {
                throw new InvalidOperationException(
                    $"The target database already holds data ({rows:N0} rows in {table.GetTableName()}). Copy into a new, empty database: create it, and do not start the portal on it before the copy.");
            }
        }

        var copied = new List<TableCopy>();
        target.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var transaction = await target.Database.BeginTransactionAsync(cancellationToken);
        foreach (var table in tables)
        {
            var rows = await (Task<int>)CopyTableMethod.MakeGenericMethod(table.ClrType).Invoke(null, [source, target, table, cancellationToken])!;
            var copy = new TableCopy(table.GetTableName()!, rows);
            copied.Add(copy);
            progress?.Invoke(copy);
        }

        if (target.Database.IsNpgsql())
        {
            await MoveIdentitySequencesAsync(target, tables, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return copied;
    }

    private static readonly MethodInfo CopyTableMethod = typeof(DatabaseCopier).GetMethod(nameof(CopyTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static async Task<int> CopyTableAsync<T>(PortalDbContext source, PortalDbContext target, IEntityType table, CancellationToken cancellationToken)
        where T : class
    {
        var query = source.Set<T>().IgnoreQueryFilters().AsNoTracking();
        var key = table.FindPrimaryKey()!.Properties;
        var ordered = query.OrderBy(e => EF.Property<object>(e, key[0].Name));
        for (var k = 1; k < key.Count; k++)
        {
            var name = key[k].Name;
            ordered = ordered.ThenBy(e => EF.Property<object>(e, name));
        }

        var rows = 0;
        var batch = new List<T>(BatchRows);
        await foreach (var row in ordered.AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            batch.Add(row);
            if (batch.Count == BatchRows)
            {
                rows += await SaveAsync(target, batch, cancellationToken);
            }
        }

        return rows + await SaveAsync(target, batch, cancellationToken);
    }

    private static async Task<int> SaveAsync<T>(PortalDbContext target, List<T> batch, CancellationToken cancellationToken)
        where T : class
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        target.Set<T>().AddRange(batch);
        await target.SaveChangesAsync(cancellationToken);
        target.ChangeTracker.Clear();
        var saved = batch.Count;
        batch.Clear();
        return saved;
    }

    private static Task<int> CountAsync(PortalDbContext context, IEntityType table, CancellationToken cancellationToken) =>
        (Task<int>)CountMethod.MakeGenericMethod(table.ClrType).Invoke(null, [context, cancellationToken])!;

    private static readonly MethodInfo CountMethod = typeof(DatabaseCopier).GetMethod(nameof(CountTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static Task<int> CountTableAsync<T>(PortalDbContext context, CancellationToken cancellationToken)
        where T : class =>
        context.Set<T>().IgnoreQueryFilters().CountAsync(cancellationToken);

    /// <summary>The model's tables, each after the tables its foreign keys point to (a key to its own table does not count).</summary>
    internal static IReadOnlyList<IEntityType> InDependencyOrder(IModel model)
    {
        var tables = model.GetEntityTypes().Where(t => !t.IsOwned() && t.FindPrimaryKey() is not null && t.GetTableName() is not null).ToList();
        var ordered = new List<IEntityType>();
        var placed = new HashSet<IEntityType>();
        while (ordered.Count < tables.Count)
        {
            var ready = tables.Where(t => !placed.Contains(t)
                    && t.GetForeignKeys().All(k => k.PrincipalEntityType == t || placed.Contains(k.PrincipalEntityType) || !tables.Contains(k.PrincipalEntityType)))
                .OrderBy(t => t.GetTableName(), StringComparer.Ordinal)
                .ToList();
            if (ready.Count == 0)
            {
                throw new InvalidOperationException("The tables' foreign keys form a cycle; they cannot be copied one after another.");
            }

            ordered.AddRange(ready);
            placed.UnionWith(ready);
        }

        return ordered;
    }

    /// <summary>Moves each identity column's sequence past the largest key copied, so that new rows do not collide.</summary>
    private static async Task MoveIdentitySequencesAsync(PortalDbContext target, IReadOnlyList<IEntityType> tables, CancellationToken cancellationToken)
    {
        foreach (var table in tables)
        {
            if (table.FindPrimaryKey()!.Properties is not [var key]
                || key.ValueGenerated != ValueGenerated.OnAdd
                || (key.ClrType != typeof(int) && key.ClrType != typeof(long)))
            {
                continue;
            }

            var name = table.GetTableName()!;
            var column = key.GetColumnName();
            // Identifiers come from the model, not from input; quoted as PostgreSQL quotes them.
#pragma warning disable EF1002
            await target.Database.ExecuteSqlRawAsync(
                $"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column}'), COALESCE((SELECT MAX(\"{column}\") FROM \"{name}\"), 0) + 1, false)",
                cancellationToken);
#pragma warning restore EF1002
        }
    }
}
