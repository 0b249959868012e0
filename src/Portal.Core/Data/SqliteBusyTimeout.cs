using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Core.Data;

/// <summary>
/// Lets SQLite itself wait for a lock another connection holds (retrying within a few milliseconds) instead of
/// failing at once with SQLITE_BUSY, which Microsoft.Data.Sqlite answers by sleeping 150 ms before it tries again:
/// with a run's progress, a request's metering and a cancel writing side by side, those sleeps added up to more than
/// a second.
/// </summary>
public sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    /// <summary>How long a statement waits for a lock before SQLite reports the database busy.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static readonly string Pragma = $"PRAGMA busy_timeout = {(int)Wait.TotalMilliseconds};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
