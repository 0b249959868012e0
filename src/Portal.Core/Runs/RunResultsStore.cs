using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Portal.Core.Datasets;

namespace Portal.Core.Runs;

/// <summary>One scored row: the file's row number, the prediction, the label cell (when the file had one) and the inputs.</summary>
public sealed record ResultRow(int Row, string? Label, double Score, string? Actual, IReadOnlyList<string> Inputs);

/// <summary>A page of results: sorted by <c>row</c> or <c>score</c>, optionally one predicted label and a score range.</summary>
public sealed record ResultQuery(int Skip = 0, int Take = 50, string SortBy = "row", bool Descending = false, string? Label = null, double? MinScore = null, double? MaxScore = null);

public sealed record ResultPage(IReadOnlyList<ResultRow> Rows, int Total);

/// <summary>Rows per interval of the predicted probability or value.</summary>
public sealed record HistogramBin(double From, double To, int Count);

/// <summary>Where a run's results are kept: one SQLite file per run under the tenant's storage folder.</summary>
public sealed class RunResultsStore(DatasetStorage storage)
{
    public string PathOf(Run run) => storage.Resolve(storage.RunResultsPath(run.TenantId, run.Id));

    /// <summary>Opens (and, for a worker, creates) the run's results. Callers get <paramref name="run"/> from a tenant-scoped query.</summary>
    public Task<RunResultsFile> OpenAsync(Run run, bool create, CancellationToken cancellationToken = default) =>
        RunResultsFile.OpenAsync(PathOf(run), create, cancellationToken);

}

/// <summary>
/// A run's results file. Each chunk is appended in one transaction keyed by the file's row number, so a chunk is
/// either wholly there or not at all, and a resumed run continues after <see cref="LastRowAsync"/>.
/// </summary>
public sealed class RunResultsFile : IAsyncDisposable
{
    private readonly SqliteConnection _connection;

    private RunResultsFile(SqliteConnection connection) => _connection = connection;

    public static async Task<RunResultsFile> OpenAsync(string path, bool create, CancellationToken cancellationToken)
    {
        if (!create && !File.Exists(path))
        {
            throw new FileNotFoundException("The run has no results yet.", path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(cancellationToken);
        var file = new RunResultsFile(connection);
        if (create)
        {
            await file.ExecuteAsync(
                """
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                PRAGMA wal_autocheckpoint=0;
                PRAGMA cache_size=-16000;
                CREATE TABLE IF NOT EXISTS Results (Row INTEGER PRIMARY KEY, Label TEXT, Score REAL NOT NULL, Actual TEXT, Inputs TEXT NOT NULL);
                """, cancellationToken);
        }

        return file;
    }

    /// <summary>The last committed row (0 when none).</summary>
    public async Task<int> LastRowAsync(CancellationToken cancellationToken = default) =>
        Convert.ToInt32(await ScalarAsync("SELECT COALESCE(MAX(Row), 0) FROM Results", cancellationToken), CultureInfo.InvariantCulture);

    public async Task<int> CountAsync(CancellationToken cancellationToken = default) =>
        Convert.ToInt32(await ScalarAsync("SELECT COUNT(*) FROM Results", cancellationToken), CultureInfo.InvariantCulture);

    /// <summary>Appends one chunk in one transaction with one prepared statement.</summary>
    public async Task AppendAsync(IReadOnlyList<ResultRow> rows, CancellationToken cancellationToken = default)
    {
        await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
        await using var insert = _connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO Results (Row, Label, Score, Actual, Inputs) VALUES ($row, $label, $score, $actual, $inputs)";
        var row = insert.Parameters.Add("$row", SqliteType.Integer);
        var label = insert.Parameters.Add("$label", SqliteType.Text);
        var score = insert.Parameters.Add("$score", SqliteType.Real);
        var actual = insert.Parameters.Add("$actual", SqliteType.Text);
        var inputs = insert.Parameters.Add("$inputs", SqliteType.Text);
        await insert.PrepareAsync(cancellationToken);
        foreach (var r in rows)
        {
            row.Value = r.Row;
            label.Value = (object?)r.Label ?? DBNull.Value;
            score.Value = r.Score;
            actual.Value = (object?)r.Actual ?? DBNull.Value;
            inputs.Value = string.Join(Separator, r.Inputs);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Called once the run stops writing: adds the index that sorting by score uses and folds the write-ahead log into
    /// the file. While a run writes, commits only append to the log (no fsync, no checkpoint), which keeps a chunk's
    /// commit cheap and is still safe when the process is killed; keeping the index up on every insert cost more.
    /// </summary>
    public Task CompleteAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("CREATE INDEX IF NOT EXISTS IX_Results_Score ON Results (Score); PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken);

    /// <summary>Input cells are stored joined by the ASCII unit separator, which valid numbers and categories never contain.</summary>
    private const char Separator = '\u001F';

    public async Task<ResultPage> PageAsync(ResultQuery query, CancellationToken cancellationToken = default)
    {
        var where = new List<string>();
        await using var command = _connection.CreateCommand();
        if (query.Label is not null)
        {
            where.Add("Label = $label");
            command.Parameters.AddWithValue("$label", query.Label);
        }

        if (query.MinScore is { } min)
        {
            where.Add("Score >= $min");
            command.Parameters.AddWithValue("$min", min);
        }

        if (query.MaxScore is { } max)
        {
            where.Add("Score <= $max");
            command.Parameters.AddWithValue("$max", max);
        }

        var filter = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
        var order = (query.SortBy == "score" ? "Score" : "Row") + (query.Descending ? " DESC" : " ASC");
        command.CommandText = $"SELECT COUNT(*) FROM Results{filter}";
        var total = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        command.CommandText = $"SELECT Row, Label, Score, Actual, Inputs FROM Results{filter} ORDER BY {order}, Row LIMIT $take OFFSET $skip";
        command.Parameters.AddWithValue("$take", Math.Clamp(query.Take, 1, 1000));
        command.Parameters.AddWithValue("$skip", Math.Max(0, query.Skip));
        var rows = new List<ResultRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return new ResultPage(rows, total);
    }

    /// <summary>Every row in file order (exports stream this).</summary>
    public async IAsyncEnumerable<ResultRow> AllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT Row, Label, Score, Actual, Inputs FROM Results ORDER BY Row";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    /// <summary>The label cell and score of every row that has a label cell (for evaluation).</summary>
    public async Task<(List<string> Actual, List<float> Score)> LabelledAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT Actual, Score FROM Results WHERE Actual IS NOT NULL AND Actual <> '' ORDER BY Row";
        var actual = new List<string>();
        var score = new List<float>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            actual.Add(reader.GetString(0));
            score.Add((float)reader.GetDouble(1));
        }

        return (actual, score);
    }

    /// <summary>Rows per predicted label.</summary>
    public async Task<IReadOnlyList<(string Label, int Count)>> LabelCountsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT Label, COUNT(*) FROM Results WHERE Label IS NOT NULL GROUP BY Label ORDER BY Label";
        var counts = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add((reader.GetString(0), reader.GetInt32(1)));
        }

        return counts;
    }

    /// <summary>Rows per equal-width interval: [0, 1] for probabilities, the observed range for values.</summary>
    public async Task<IReadOnlyList<HistogramBin>> HistogramAsync(bool probability, int bins = 10, CancellationToken cancellationToken = default)
    {
        double from = 0, to = 1;
        if (!probability)
        {
            await using var range = _connection.CreateCommand();
            range.CommandText = "SELECT MIN(Score), MAX(Score) FROM Results";
            await using var r = await range.ExecuteReaderAsync(cancellationToken);
            if (!await r.ReadAsync(cancellationToken) || r.IsDBNull(0))
            {
                return [];
            }

            (from, to) = (r.GetDouble(0), r.GetDouble(1));
            if (to <= from)
            {
                to = from + 1;
            }
        }

        var width = (to - from) / bins;
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT MIN(CAST((Score - $from) / $width AS INTEGER), $last) AS Bin, COUNT(*) FROM Results GROUP BY Bin";
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$width", width);
        command.Parameters.AddWithValue("$last", bins - 1);
        var counts = new int[bins];
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[Math.Clamp(reader.GetInt32(0), 0, bins - 1)] += reader.GetInt32(1);
            }
        }

        return [.. counts.Select((c, i) => new HistogramBin(from + i * width, from + (i + 1) * width, c))];
    }

    private static ResultRow Read(SqliteDataReader reader) => new(
        reader.GetInt32(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        reader.GetDouble(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetString(4).Split(Separator));

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
