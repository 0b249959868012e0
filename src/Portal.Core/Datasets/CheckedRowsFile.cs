using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Portal.Core.Templates;

namespace Portal.Core.Datasets;

/// <summary>
/// The valid records of a dataset as its check against a template found them, in chunks as a run scores them: numbers
/// already parsed, categories already positions. The check before a run has to read and check every row anyway (to
/// count the valid rows whose quota the run reserves); keeping what it found spares the run reading and checking the
/// file a second time, which took more processor time than the model (README, <em>Batch runs</em>).
/// </summary>
/// <remarks>
/// Layout: chunks, each its length then <see cref="RecordChunk.WriteTo"/>'s bytes; then a trailer: the check's
/// <see cref="Key"/> in UTF-8, its length, the valid rows, the rows per chunk, and <c>PCR1</c>. A file is written under a
/// temporary name and renamed when whole, so a file under its name is always complete; a reader that finds anything
/// else (another check, another layout) uses the dataset's file instead.
/// </remarks>
public static class CheckedRowsFile
{
    private const int Magic = 0x31524350; // "PCR1"
    private const int TrailerBytes = 4 * sizeof(int);

    /// <summary>What a check depends on: the dataset, the template's id and model version, and the columns it read.</summary>
    public static string Key(Guid datasetId, TemplateManifest manifest, IReadOnlyDictionary<string, string> inputs, string? labelColumn) =>
        string.Join('\u001f', [datasetId.ToString("N"), manifest.Id, manifest.ModelVersion, labelColumn ?? string.Empty,
            .. inputs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + '\u001e' + p.Value)]);

    /// <summary>Starts a file at <paramref name="path"/> (written to a temporary name until <see cref="CheckedRowsWriter.CompleteAsync"/>).</summary>
    public static CheckedRowsWriter Create(string path, int chunkRows) => new(path, chunkRows);

    /// <summary>Opens the file when it is whole and holds the check <paramref name="key"/>; null otherwise.</summary>
    public static async Task<CheckedRowsReader?> TryOpenAsync(string path, string key, TemplateManifest manifest, bool labelled, CancellationToken cancellationToken)
    {
        var stream = Open(path);
        if (stream is null)
        {
            return null;
        }

        try
        {
            if (await ReadTrailerAsync(stream, key, cancellationToken) is not var (end, rows, chunkRows))
            {
                await stream.DisposeAsync();
                return null;
            }

            stream.Position = 0;
            return new CheckedRowsReader(stream, end, rows, chunkRows, manifest, labelled);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>The number of valid rows when the file is whole and holds the check <paramref name="key"/>; null otherwise.</summary>
    public static async Task<int?> RowsAsync(string path, string key, CancellationToken cancellationToken)
    {
        await using var stream = Open(path);
        return stream is not null && await ReadTrailerAsync(stream, key, cancellationToken) is var (_, rows, _) ? rows : null;
    }

    private static FileStream? Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Where the chunks end, the valid rows and the rows per chunk, when the trailer is whole and holds <paramref name="key"/>.</summary>
    private static async Task<(long End, int Rows, int ChunkRows)?> ReadTrailerAsync(FileStream stream, string key, CancellationToken cancellationToken)
    {
        var expected = Encoding.UTF8.GetBytes(key);
        var length = stream.Length;
        var trailer = new byte[expected.Length + TrailerBytes];
        if (length < trailer.Length)
        {
            return null;
        }

        stream.Position = length - trailer.Length;
        await stream.ReadExactlyAsync(trailer, cancellationToken);
        var numbers = trailer.AsSpan(expected.Length);
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(numbers);
        var rows = BinaryPrimitives.ReadInt32LittleEndian(numbers[4..]);
        var chunkRows = BinaryPrimitives.ReadInt32LittleEndian(numbers[8..]);
        return BinaryPrimitives.ReadInt32LittleEndian(numbers[12..]) == Magic && keyLength == expected.Length
            && trailer.AsSpan(0, expected.Length).SequenceEqual(expected) && chunkRows > 0 && rows >= 0
            ? (length - trailer.Length, rows, chunkRows)
            : null;
    }

    internal static void WriteTrailer(ArrayBufferWriter<byte> output, string key, int rows, int chunkRows)
    {
        output.Write(Encoding.UTF8.GetBytes(key));
        var numbers = output.GetSpan(TrailerBytes);
        BinaryPrimitives.WriteInt32LittleEndian(numbers, Encoding.UTF8.GetByteCount(key));
        BinaryPrimitives.WriteInt32LittleEndian(numbers[4..], rows);
        BinaryPrimitives.WriteInt32LittleEndian(numbers[8..], chunkRows);
        BinaryPrimitives.WriteInt32LittleEndian(numbers[12..], Magic);
        output.Advance(TrailerBytes);
    }
}

/// <summary>Writes a check's valid records chunk by chunk; the file appears under its name only when completed.</summary>
public sealed class CheckedRowsWriter : IAsyncDisposable
{
    private readonly string _path;
    private readonly string _temporary;
    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly byte[] _head = new byte[sizeof(int)];
    private bool _completed;

    internal CheckedRowsWriter(string path, int chunkRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        _path = path;
        _temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _stream = new FileStream(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        ChunkRows = chunkRows;
    }

    /// <summary>Records per chunk: the checker fills chunks of this size.</summary>
    public int ChunkRows { get; }

    public int Rows { get; private set; }

    public async Task AppendAsync(RecordChunk chunk, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        _buffer.ResetWrittenCount();
        chunk.WriteTo(_buffer);
        BinaryPrimitives.WriteInt32LittleEndian(_head, _buffer.WrittenCount);
        await _stream.WriteAsync(_head, cancellationToken);
        await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken);
        Rows += chunk.Count;
    }

    /// <summary>Writes the trailer and gives the file its name (replacing an earlier check's).</summary>
    public async Task CompleteAsync(string key, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        CheckedRowsFile.WriteTrailer(_buffer, key, Rows, ChunkRows);
        await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
        await _stream.DisposeAsync();
        File.Move(_temporary, _path, overwrite: true);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        if (!_completed)
        {
            File.Delete(_temporary);
        }
    }
}

/// <summary>Hands out a checked-rows file's chunks in file order.</summary>
public sealed class CheckedRowsReader : IRecordSource, IDisposable
{
    private readonly FileStream _stream;
    private readonly long _end;
    private readonly int _chunkRows;
    private readonly TemplateManifest _manifest;
    private readonly bool _labelled;
    private readonly byte[] _head = new byte[sizeof(int)];
    private byte[] _buffer = [];
    private int _after;

    internal CheckedRowsReader(FileStream stream, long end, int rows, int chunkRows, TemplateManifest manifest, bool labelled) =>
        (_stream, _end, Rows, _chunkRows, _manifest, _labelled) = (stream, end, rows, chunkRows, manifest, labelled);

    /// <summary>The valid records in the file.</summary>
    public int Rows { get; }

    /// <summary>Leaves out the records of file rows up to <paramref name="row"/> (a run resuming); returns this reader.</summary>
    public CheckedRowsReader After(int row)
    {
        _after = row;
        return this;
    }

    public RecordChunk NewChunk() => RecordChunk.ForReading(_manifest, _labelled, _chunkRows);

    public async ValueTask<bool> FillAsync(RecordChunk chunk, CancellationToken cancellationToken)
    {
        chunk.Clear();
        while (chunk.Count == 0)
        {
            if (_stream.Position >= _end)
            {
                return false;
            }

            await _stream.ReadExactlyAsync(_head, cancellationToken);
            var length = BinaryPrimitives.ReadInt32LittleEndian(_head);
            if (length <= 0 || length > _end - _stream.Position)
            {
                throw new InvalidDataException($"A chunk of {length} bytes at {_stream.Position - sizeof(int)} does not fit the file.");
            }

            if (_buffer.Length < length)
            {
                _buffer = new byte[length];
            }

            await _stream.ReadExactlyAsync(_buffer.AsMemory(0, length), cancellationToken);
            chunk.ReadFrom(_buffer.AsSpan(0, length));
            chunk.KeepAfter(_after);
        }

        return _stream.Position < _end;
    }

    public void Dispose() => _stream.Dispose();
}
