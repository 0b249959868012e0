using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Portal.Core.Datasets;
using Portal.Core.Templates;

namespace Portal.Core.Runs;

/// <summary>
/// A run's results: a small SQLite index (<c>.results.db</c>: what the inputs are, the labels, and one row per scored
/// chunk) and a data file beside it (<c>.results.bin</c>) to which each chunk is appended column by column in binary:
/// file row numbers, scores, each input (numbers as float when every value of the chunk is exactly a float, else as
/// double; categories as their position) and the label cells. A chunk is appended, then indexed (with the others
/// appended since the last <see cref="CommitAsync"/>, in one transaction), so it is wholly there or not at all; on
/// resume the data file is cut back to what the index holds, and index rows whose data did not survive are dropped and
/// scored again. A chunk of thousands of rows is thus one write
/// and one small insert: storing each result as a SQLite row cost several times what scoring it did.
/// </summary>
/// <remarks>
/// Neither file is synced to disk (the index runs with <c>synchronous=OFF</c>, as the data file was never flushed to
/// disk): results survive the death of the process, which is what a resume needs, but not necessarily the machine's.
/// Syncing the index bought nothing the unsynced data file did not lose again and cost 6 ms of every run (4.5 → 2.4 ms
/// to create the index, 4 → 0.6 ms to complete it, for 100,000 credit rows). An index that a machine crash left damaged
/// is started over when the run resumes (<see cref="CreateAsync"/>).
/// </remarks>
public sealed class RunResultsFile : IAsyncDisposable
{
    private const string Schema =
        """
        CREATE TABLE IF NOT EXISTS Meta (Key TEXT PRIMARY KEY, Value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS Chunks (FirstRow INTEGER PRIMARY KEY, LastRow INTEGER NOT NULL, Count INTEGER NOT NULL,
            Offset INTEGER NOT NULL, Sections BLOB NOT NULL);
        """;

    private readonly SqliteConnection _connection;
    private readonly FileStream _data;
    private ResultLayout _layout = null!;
    private ChunkEntry[]? _chunks;
    private (int[] Rows, float[] Scores, int[] Starts)? _columns;
    private readonly Dictionary<int, DecodedChunk> _decoded = [];
    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly List<ChunkEntry> _unindexed = [];

    private RunResultsFile(SqliteConnection connection, FileStream data)
    {
        _connection = connection;
        _data = data;
    }

    public static string DataPathOf(string path) => Path.ChangeExtension(path, ".bin");

    /// <summary>
    /// At least the bytes the results of <paramref name="rows"/> rows take, reserved as StorageBytes when a run starts:
    /// per row its number and score, each number as a double (a chunk whose numbers all fit floats takes half), each
    /// category as two bytes, a label cell's end and up to 16 bytes of it; and the index, a row per chunk.
    /// </summary>
    public static long EstimateBytes(TemplateManifest manifest, int rows, bool labelled)
    {
        var perRow = sizeof(int) + sizeof(float) + manifest.Inputs.Sum(i => i.Type == InputType.Category ? sizeof(ushort) : sizeof(double)) + (labelled ? sizeof(int) + 16 : 0);
        return (64 * 1024) + ((long)rows * perRow) + ((rows / 4096L) + 1) * 1024;
    }

    /// <summary>Opens existing results for reading (results written by an earlier version are converted first).</summary>
    public static async Task<RunResultsFile> OpenAsync(string path, TemplateManifest? manifest, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("The run has no results yet.", path);
        }

        var connection = await ConnectAsync(path, SqliteOpenMode.ReadOnly, cancellationToken);
        if (await TableExistsAsync(connection, "Results", cancellationToken))
        {
            await connection.DisposeAsync();
            if (manifest is null)
            {
                throw new InvalidDataException("These results were written by an earlier version of the portal and their template is no longer installed.");
            }

            await (await CreateAsync(path, manifest, cancellationToken)).DisposeAsync(); // converts
            connection = await ConnectAsync(path, SqliteOpenMode.ReadOnly, cancellationToken);
        }

        return await WithDataAsync(
            connection,
            () => new FileStream(DataPathOf(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.RandomAccess),
            async file => file._layout = await file.ReadLayoutAsync(cancellationToken));
    }

    /// <summary>
    /// Creates the results of a run, or opens them to resume (cutting back what an interrupted write left). Results whose
    /// index is damaged (a machine that crashed while they were written) are deleted and created again: the run starts
    /// over rather than failing.
    /// </summary>
    /// <param name="manifest">The run's template: required to create, and to convert results of an earlier version.</param>
    public static async Task<RunResultsFile> CreateAsync(string path, TemplateManifest? manifest, CancellationToken cancellationToken)
    {
        try
        {
            return await CreateOrResumeAsync(path, manifest, cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 11 or 26) // SQLITE_CORRUPT, SQLITE_NOTADB
        {
            Delete(path);
            return await CreateOrResumeAsync(path, manifest, cancellationToken);
        }
    }

    /// <summary>The files of the results at <paramref name="path"/>: the index with its journal files, and the data file.</summary>
    public static string[] FilesOf(string path) => [path, path + "-wal", path + "-shm", path + "-journal", DataPathOf(path)];

    /// <summary>Deletes the results at <paramref name="path"/> (no error for files that are not there).</summary>
    public static void Delete(string path)
    {
        foreach (var file in FilesOf(path))
        {
            File.Delete(file);
        }
    }

    private static async Task<RunResultsFile> CreateOrResumeAsync(string path, TemplateManifest? manifest, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connection = await ConnectAsync(path, SqliteOpenMode.ReadWriteCreate, cancellationToken);
        return await WithDataAsync(
            connection,
            () => new FileStream(DataPathOf(path), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None),
            async file =>
            {
                var earlierVersion = await TableExistsAsync(connection, "Results", cancellationToken);
                await file.ExecuteAsync("PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;" + Schema, cancellationToken);
                if (await file.ScalarAsync("SELECT Value FROM Meta WHERE Key = 'layout'", cancellationToken) is not string)
                {
                    await file.WriteLayoutAsync(ResultLayout.Of(manifest ?? throw new InvalidOperationException("New results need their template.")), cancellationToken);
                }

                file._layout = await file.ReadLayoutAsync(cancellationToken);
                await file.DropLostChunksAsync(cancellationToken);
                if (earlierVersion && manifest is not null)
                {
                    await file.ConvertRowPerResultAsync(manifest, cancellationToken);
                }
            });
    }

    /// <summary>Opens the data file beside <paramref name="connection"/> and prepares the results; on failure both are closed.</summary>
    private static async Task<RunResultsFile> WithDataAsync(SqliteConnection connection, Func<FileStream> openData, Func<RunResultsFile, Task> prepare)
    {
        FileStream? data = null;
        try
        {
            data = openData();
            var file = new RunResultsFile(connection, data);
            await prepare(file);
            return file;
        }
        catch
        {
            if (data is not null)
            {
                await data.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<SqliteConnection> ConnectAsync(string path, SqliteOpenMode mode, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>The last row appended (0 when none).</summary>
    public async Task<int> LastRowAsync(CancellationToken cancellationToken = default)
    {
        await CommitAsync(cancellationToken);
        return Convert.ToInt32(await ScalarAsync("SELECT COALESCE(MAX(LastRow), 0) FROM Chunks", cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await CommitAsync(cancellationToken);
        return Convert.ToInt32(await ScalarAsync("SELECT COALESCE(SUM(Count), 0) FROM Chunks", cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Appends one scored chunk (rows in file order, after every row already here): its data now, its index row at the
    /// next <see cref="CommitAsync"/> (or before anything is read, completed or closed).
    /// </summary>
    public async Task AppendAsync(RecordChunk chunk, float[] scores, CancellationToken cancellationToken = default)
    {
        var count = chunk.Count;
        if (count == 0)
        {
            return;
        }

        // The chunk's sections are put together in one buffer and written at once: a write per column cost more than
        // the bytes (14 ms per 100,000 credit rows against 4 for one write per chunk).
        var output = _pending;
        output.ResetWrittenCount();
        var sections = new List<int>(_layout.Inputs.Count + 4)
        {
            ColumnConversions.Append<int>(output, chunk.Rows.AsSpan(0, count)),
            ColumnConversions.Append<float>(output, scores.AsSpan(0, count)),
        };
        for (var c = 0; c < _layout.Inputs.Count; c++)
        {
            sections.Add(chunk.Numbers(c) is { } numbers ? WriteNumbers(output, numbers.AsSpan(0, count)) : ColumnConversions.AppendPositions(output, chunk.Positions(c).AsSpan(0, count)));
        }

        if (chunk.Labels is { } labels)
        {
            var bytes = Encoding.UTF8.GetByteCount(labels.Chars);
            var ends = MemoryMarshal.Cast<byte, int>(output.GetSpan(count * sizeof(int)))[..count];
            if (bytes == labels.Chars.Length)
            {
                labels.Ends.CopyTo(ends);
            }
            else
            {
                var (at, from) = (0, 0);
                for (var i = 0; i < count; i++)
                {
                    at += Encoding.UTF8.GetByteCount(labels.Chars[from..labels.Ends[i]]);
                    (ends[i], from) = (at, labels.Ends[i]);
                }
            }

            output.Advance(count * sizeof(int));
            sections.Add(count * sizeof(int));
            output.Advance(Encoding.UTF8.GetBytes(labels.Chars, output.GetSpan(bytes)));
            sections.Add(bytes);
        }

        var offset = _data.Length;
        _data.Position = offset;
        await _data.WriteAsync(output.WrittenMemory, cancellationToken);
        await _data.FlushAsync(cancellationToken);
        _unindexed.Add(new ChunkEntry(chunk.Rows[0], chunk.Rows[count - 1], count, offset, [.. sections]));
    }

    /// <summary>Numbers as floats when each is exactly a float (whole numbers below 16 million, halves, …), else as doubles.</summary>
    private static int WriteNumbers(ArrayBufferWriter<byte> output, ReadOnlySpan<double> numbers)
    {
        if (!ColumnConversions.ToFloats(numbers, ColumnConversions.Reserve<float>(output, numbers.Length)))
        {
            return ColumnConversions.Append(output, numbers);
        }

        output.Advance(numbers.Length * sizeof(float));
        return numbers.Length * sizeof(float);
    }

    /// <summary>
    /// Indexes the chunks appended since the last commit, in one transaction: from then on a resume keeps them. The worker
    /// commits before it writes a run's progress, so the progress it shows is never ahead of what a crash keeps; a
    /// transaction per chunk cost 2.2 ms per 100,000 credit rows (25 chunks).
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_unindexed.Count == 0)
        {
            return;
        }

        await using (var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken))
        {
            await using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO Chunks (FirstRow, LastRow, Count, Offset, Sections) VALUES ($first, $last, $count, $offset, $sections)";
            foreach (var chunk in _unindexed)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$first", chunk.FirstRow);
                insert.Parameters.AddWithValue("$last", chunk.LastRow);
                insert.Parameters.AddWithValue("$count", chunk.Count);
                insert.Parameters.AddWithValue("$offset", chunk.Offset);
                insert.Parameters.AddWithValue("$sections", MemoryMarshal.AsBytes(chunk.Sections.AsSpan()).ToArray());
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        _unindexed.Clear();
        (_chunks, _columns) = (null, null);
    }

    /// <summary>
    /// Called once the run stops writing: folds the write-ahead log into the index and, when no reader holds the file,
    /// leaves write-ahead logging, so that finished results are one plain file that a node reading them over a shared
    /// volume can open (SQLite's log needs the writer and its readers on one host). A reader at that moment only means
    /// the file keeps its (already folded) log until it is written again.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await CommitAsync(cancellationToken);
        await ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = DELETE;";
            command.CommandTimeout = 1; // not the default 30 s of retries while a reader holds the file
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6) // SQLITE_BUSY, SQLITE_LOCKED: a reader has it open
        {
        }
    }

    public async Task<ResultPage> PageAsync(ResultQuery query, CancellationToken cancellationToken = default)
    {
        var take = Math.Clamp(query.Take, 1, 1000);
        var skip = Math.Max(0, query.Skip);
        var columns = await ColumnsAsync(cancellationToken);
        int[] chosen;
        int total;
        if (query.Label is null && query.MinScore is null && query.MaxScore is null && query.SortBy != "score")
        {
            // File order, unfiltered: the page is a range of positions.
            total = columns.Rows.Length;
            var first = query.Descending ? Math.Max(0, total - skip - take) : Math.Min(skip, total);
            var last = query.Descending ? Math.Max(0, total - skip) : Math.Min(skip + take, total);
            chosen = [.. Enumerable.Range(first, last - first)];
            if (query.Descending)
            {
                Array.Reverse(chosen);
            }
        }
        else
        {
            var matching = new List<int>();
            for (var i = 0; i < columns.Rows.Length; i++)
            {
                var score = Rounded(columns.Scores[i]);
                if ((query.MinScore is not { } min || score >= min)
                    && (query.MaxScore is not { } max || score <= max)
                    && (query.Label is null || _layout.Labels?.Of(score) == query.Label))
                {
                    matching.Add(i);
                }
            }

            var positions = matching.ToArray(); // in row order
            total = positions.Length;
            if (query.SortBy == "score")
            {
                var keys = new double[positions.Length];
                for (var i = 0; i < keys.Length; i++)
                {
                    keys[i] = query.Descending ? -Rounded(columns.Scores[positions[i]]) : Rounded(columns.Scores[positions[i]]);
                }

                positions = skip + take <= positions.Length / 16
                    ? First(keys, positions, skip + take)
                    : SortByScore(keys, positions);
            }
            else if (query.Descending)
            {
                Array.Reverse(positions);
            }

            chosen = [.. positions.Skip(skip).Take(take)];
        }

        var rows = new List<ResultRow>(chosen.Length);
        foreach (var position in chosen)
        {
            var c = Array.BinarySearch(columns.Starts, position);
            c = c >= 0 ? c : ~c - 1;
            rows.Add((await DecodeAsync(c, cancellationToken)).Row(position - columns.Starts[c]));
        }

        return new ResultPage(rows, total);
    }

    /// <summary>All positions by key, equal keys in row order.</summary>
    private static int[] SortByScore(double[] keys, int[] positions)
    {
        // Primitive keys sort several times faster than a comparison; equal scores then go back to row order.
        Array.Sort(keys, positions);
        for (var start = 0; start < keys.Length;)
        {
            var end = start + 1;
            while (end < keys.Length && keys[end] == keys[start])
            {
                end++;
            }

            Array.Sort(positions, start, end - start);
            start = end;
        }

        return positions;
    }

    /// <summary>
    /// The first <paramref name="count"/> positions of <see cref="SortByScore"/>'s order, without sorting the rest: one
    /// pass keeping the best so far in a heap. The first pages of a large run sorted by score came back in 330–410 ms
    /// for 1,000,000 rows with a full sort.
    /// </summary>
    private static int[] First(double[] keys, int[] positions, int count)
    {
        var kept = new PriorityQueue<int, (double Key, int Position)>(count + 1, ByKeyThenPositionDescending);
        for (var i = 0; i < keys.Length; i++)
        {
            var entry = (keys[i], positions[i]);
            if (kept.Count < count)
            {
                kept.Enqueue(positions[i], entry);
            }
            else if (kept.TryPeek(out _, out var worst) && ByKeyThenPosition.Compare(entry, worst) < 0)
            {
                kept.DequeueEnqueue(positions[i], entry);
            }
        }

        var first = new int[kept.Count];
        for (var i = first.Length - 1; kept.TryDequeue(out var position, out _); i--)
        {
            first[i] = position; // the heap gives the worst kept first
        }

        return first;
    }

    private static readonly Comparer<(double Key, int Position)> ByKeyThenPosition =
        Comparer<(double Key, int Position)>.Create((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Position.CompareTo(b.Position));

    private static readonly Comparer<(double Key, int Position)> ByKeyThenPositionDescending =
        Comparer<(double Key, int Position)>.Create((a, b) => ByKeyThenPosition.Compare(b, a));

    /// <summary>Every row in file order (exports stream this).</summary>
    public async IAsyncEnumerable<ResultRow> AllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var chunks = await ChunksAsync(cancellationToken);
        for (var c = 0; c < chunks.Length; c++)
        {
            var chunk = await ReadChunkAsync(chunks[c], cancellationToken);
            for (var i = 0; i < chunk.Count; i++)
            {
                yield return chunk.Row(i);
            }
        }
    }

    /// <summary>The label cell and score of every row that has a label cell (for evaluation).</summary>
    public async Task<(List<string> Actual, List<float> Score)> LabelledAsync(CancellationToken cancellationToken = default)
    {
        var actual = new List<string>();
        var score = new List<float>();
        foreach (var entry in await ChunksAsync(cancellationToken))
        {
            var chunk = await ReadChunkAsync(entry, cancellationToken);
            for (var i = 0; i < chunk.Count; i++)
            {
                if (chunk.Label(i) is { Length: > 0 } label)
                {
                    actual.Add(label);
                    score.Add(chunk.Scores[i]);
                }
            }
        }

        return (actual, score);
    }

    /// <summary>Rows per predicted label (classification), in label order.</summary>
    public async Task<IReadOnlyList<(string Label, int Count)>> LabelCountsAsync(CancellationToken cancellationToken = default)
    {
        if (_layout.Labels is not { } labels)
        {
            return [];
        }

        var scores = (await ColumnsAsync(cancellationToken)).Scores;
        var positive = scores.Count(s => Rounded(s) >= ResultLabels.Threshold);
        return [.. new[] { (labels.Positive, positive), (labels.Negative, scores.Length - positive) }
            .Where(c => c.Item2 > 0).OrderBy(c => c.Item1, StringComparer.Ordinal)];
    }

    /// <summary>Rows per equal-width interval: [0, 1] for probabilities, the observed range for values.</summary>
    public async Task<IReadOnlyList<HistogramBin>> HistogramAsync(bool probability, int bins = 10, CancellationToken cancellationToken = default)
    {
        var scores = (await ColumnsAsync(cancellationToken)).Scores.Select(Rounded).ToArray();
        if (scores.Length == 0 && !probability)
        {
            return [];
        }

        double from = 0, to = 1;
        if (!probability)
        {
            (from, to) = (scores.Min(), scores.Max());
            if (to <= from)
            {
                to = from + 1;
            }
        }

        var width = (to - from) / bins;
        var counts = new int[bins];
        foreach (var score in scores)
        {
            counts[Math.Clamp((int)((score - from) / width), 0, bins - 1)]++;
        }

        return [.. counts.Select((c, i) => new HistogramBin(from + i * width, from + (i + 1) * width, c))];
    }

    /// <summary>Scores as the results show them: the model's float, to six decimals.</summary>
    private static double Rounded(float score) => Math.Round(score, 6);

    /// <summary>Every row's file row number and score in file order, and where each chunk starts (read once per open file).</summary>
    private async Task<(int[] Rows, float[] Scores, int[] Starts)> ColumnsAsync(CancellationToken cancellationToken)
    {
        if (_columns is { } loaded)
        {
            return loaded;
        }

        var chunks = await ChunksAsync(cancellationToken);
        var total = chunks.Sum(c => c.Count);
        var (rows, scores, starts) = (new int[total], new float[total], new int[chunks.Length]);
        var at = 0;
        for (var c = 0; c < chunks.Length; c++)
        {
            var entry = chunks[c];
            var bytes = new byte[entry.Sections[0] + entry.Sections[1]];
            await ReadAtAsync(entry.Offset, bytes, cancellationToken);
            MemoryMarshal.Cast<byte, int>(bytes.AsSpan(0, entry.Sections[0])).CopyTo(rows.AsSpan(at));
            MemoryMarshal.Cast<byte, float>(bytes.AsSpan(entry.Sections[0])).CopyTo(scores.AsSpan(at));
            starts[c] = at;
            at += entry.Count;
        }

        _columns = (rows, scores, starts);
        return _columns.Value;
    }

    private sealed record ChunkEntry(int FirstRow, int LastRow, int Count, long Offset, int[] Sections)
    {
        public long End => Offset + Sections.Sum(s => (long)s);
    }

    private async Task<ChunkEntry[]> ChunksAsync(CancellationToken cancellationToken)
    {
        await CommitAsync(cancellationToken);
        if (_chunks is not null)
        {
            return _chunks;
        }

        var chunks = new List<ChunkEntry>();
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT FirstRow, LastRow, Count, Offset, Sections FROM Chunks ORDER BY FirstRow";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            chunks.Add(new ChunkEntry(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt64(3), MemoryMarshal.Cast<byte, int>((byte[])reader.GetValue(4)).ToArray()));
        }

        return _chunks = [.. chunks];
    }

    private async Task<DecodedChunk> DecodeAsync(int chunk, CancellationToken cancellationToken)
    {
        if (!_decoded.TryGetValue(chunk, out var decoded))
        {
            _decoded[chunk] = decoded = await ReadChunkAsync((await ChunksAsync(cancellationToken))[chunk], cancellationToken);
        }

        return decoded;
    }

    private async Task<DecodedChunk> ReadChunkAsync(ChunkEntry entry, CancellationToken cancellationToken)
    {
        var bytes = new byte[entry.End - entry.Offset];
        await ReadAtAsync(entry.Offset, bytes, cancellationToken);
        return new DecodedChunk(_layout, entry.Count, entry.Sections, bytes);
    }

    private async Task ReadAtAsync(long offset, byte[] into, CancellationToken cancellationToken)
    {
        var read = await RandomAccess.ReadAsync(_data.SafeFileHandle, into, offset, cancellationToken);
        if (read < into.Length)
        {
            throw new InvalidDataException("The results data file is shorter than its index says.");
        }
    }

    /// <summary>One chunk's columns, decoded from its bytes; rows are made as they are asked for.</summary>
    private sealed class DecodedChunk
    {
        private readonly ResultLayout _layout;
        private readonly byte[] _bytes;
        private readonly int[] _starts;
        private readonly int[] _sections;

        public DecodedChunk(ResultLayout layout, int count, int[] sections, byte[] bytes)
        {
            (_layout, Count, _sections, _bytes) = (layout, count, sections, bytes);
            _starts = new int[sections.Length];
            for (var s = 1; s < sections.Length; s++)
            {
                _starts[s] = _starts[s - 1] + sections[s - 1];
            }

            Rows = MemoryMarshal.Cast<byte, int>(Section(0)).ToArray();
            Scores = MemoryMarshal.Cast<byte, float>(Section(1)).ToArray();
        }

        public int Count { get; }

        public int[] Rows { get; }

        public float[] Scores { get; }

        private ReadOnlySpan<byte> Section(int s) => _bytes.AsSpan(_starts[s], _sections[s]);

        /// <summary>Input <paramref name="c"/> of row <paramref name="i"/>: the number as read, or the category's declared name.</summary>
        public string Input(int c, int i)
        {
            var section = Section(2 + c);
            if (_layout.Inputs[c].Categories is { } categories)
            {
                var position = MemoryMarshal.Cast<byte, ushort>(section)[i];
                return position < categories.Count ? categories[position] : string.Empty;
            }

            var number = section.Length == Count * sizeof(float) ? MemoryMarshal.Cast<byte, float>(section)[i] : MemoryMarshal.Cast<byte, double>(section)[i];
            return number.ToString("R", CultureInfo.InvariantCulture);
        }

        public string? Label(int i)
        {
            var labels = 2 + _layout.Inputs.Count;
            if (_sections.Length < labels + 2)
            {
                return null;
            }

            var ends = MemoryMarshal.Cast<byte, int>(Section(labels));
            var start = i == 0 ? 0 : ends[i - 1];
            return Encoding.UTF8.GetString(Section(labels + 1)[start..ends[i]]);
        }

        public ResultRow Row(int i)
        {
            var inputs = new string[_layout.Inputs.Count];
            for (var c = 0; c < inputs.Length; c++)
            {
                inputs[c] = Input(c, i);
            }

            var score = Rounded(Scores[i]);
            return new ResultRow(Rows[i], _layout.Labels?.Of(score), score, Label(i), inputs);
        }
    }

    private async Task<ResultLayout> ReadLayoutAsync(CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<ResultLayout>((string)(await ScalarAsync("SELECT Value FROM Meta WHERE Key = 'layout'", cancellationToken))!)!;

    private async Task WriteLayoutAsync(ResultLayout layout, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO Meta (Key, Value) VALUES ('layout', $layout)";
        command.Parameters.AddWithValue("$layout", JsonSerializer.Serialize(layout));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Cuts the data file back to the end of the last indexed chunk (a write the process did not live to index) and
    /// drops index rows whose data is not all there (a machine that lost power); their rows are scored again.
    /// </summary>
    private async Task DropLostChunksAsync(CancellationToken cancellationToken)
    {
        var chunks = await ChunksAsync(cancellationToken);
        var length = _data.Length;
        var lost = chunks.Where(c => c.End > length).ToList();
        foreach (var chunk in lost)
        {
            await using var delete = _connection.CreateCommand();
            delete.CommandText = "DELETE FROM Chunks WHERE FirstRow = $first";
            delete.Parameters.AddWithValue("$first", chunk.FirstRow);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        _data.SetLength(chunks.Except(lost).Select(c => c.End).DefaultIfEmpty(0).Max());
        (_chunks, _columns) = (null, null);
    }

    private static async Task<bool> TableExistsAsync(SqliteConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>
    /// Rewrites results of an earlier version (a SQLite row per result, inputs as text) in chunks, reading the inputs
    /// with the template's schema, then drops the old table. Interrupted, it starts again on the next open.
    /// </summary>
    private async Task ConvertRowPerResultAsync(TemplateManifest manifest, CancellationToken cancellationToken)
    {
        await ExecuteAsync("DELETE FROM Chunks;", cancellationToken);
        _data.SetLength(0);
        (_chunks, _columns) = (null, null);
        const int ChunkRows = 4096;
        var chunk = new RecordChunk(manifest, [.. Enumerable.Range(0, manifest.Inputs.Count)], manifest.Inputs.Count, ChunkRows);
        var scores = new float[ChunkRows];
        var record = new LegacyRecord(manifest.Inputs.Count);
        await using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT Row, Score, Actual, Inputs FROM Results ORDER BY Row";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                record.Set(reader.GetInt32(0), reader.GetString(3).Split('\u001F'), reader.IsDBNull(2) ? string.Empty : reader.GetString(2));
                scores[chunk.Count] = (float)reader.GetDouble(1);
                if (!chunk.TryAdd(record, null))
                {
                    continue; // the template changed so that an old row no longer fits; it is left out
                }

                if (chunk.IsFull)
                {
                    await AppendAsync(chunk, scores, cancellationToken);
                    chunk.Clear();
                }
            }
        }

        await AppendAsync(chunk, scores, cancellationToken);
        await CommitAsync(cancellationToken);
        await ExecuteAsync("DROP TABLE Results;", cancellationToken);
    }

    /// <summary>An old result row read as a record: the inputs in input order, then the label cell.</summary>
    private sealed class LegacyRecord(int inputs) : ITabularRecordReader
    {
        private string?[] _cells = new string?[inputs + 1];

        public IReadOnlyList<string> Header { get; } = [];

        public string Description => "results";

        public string? Encoding => null;

        public int Row { get; private set; }

        public string?[] Current => _cells;

        public LocalizableText? RecordError => null;

        public void Set(int row, string[] inputs, string label)
        {
            Row = row;
            _cells = [.. inputs.Take(_cells.Length - 1), .. Enumerable.Repeat<string?>(null, Math.Max(0, _cells.Length - 1 - inputs.Length)), label];
        }

        public ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

        public void Dispose()
        {
        }
    }

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

    public async ValueTask DisposeAsync()
    {
        try
        {
            // A run stopped by cancellation still keeps (and is charged for) every chunk it appended.
            await CommitAsync(CancellationToken.None);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 10 or 11 or 13) // SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL
        {
            // The disk refuses the index: those chunks are cut back and scored again when the run resumes.
        }

        await _data.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
