using Portal.Core.Templates;

namespace Portal.Core.Datasets;

/// <summary>A run's valid records in file order, a chunk at a time.</summary>
public interface IRecordSource
{
    /// <summary>A chunk of the size this source fills.</summary>
    RecordChunk NewChunk();

    /// <summary>Replaces the chunk's records with the next ones (up to its capacity); false when none is left after them.</summary>
    /// <exception cref="TabularFileException">The rest of the file cannot be read.</exception>
    ValueTask<bool> FillAsync(RecordChunk chunk, CancellationToken cancellationToken);
}

/// <summary>Reads and checks a data file's records against a template (invalid ones left out), after a given row.</summary>
public sealed class FileRecords : IRecordSource
{
    private readonly ITabularRecordReader _reader;
    private readonly TemplateManifest _manifest;
    private readonly int[] _columns;
    private readonly int _label;
    private readonly int _chunkRows;
    private readonly int _after;

    public FileRecords(ITabularRecordReader reader, TemplateManifest manifest, IReadOnlyDictionary<string, string>? mapping, int after, int chunkRows)
    {
        var columns = ColumnMapping.Match(manifest, reader.Header, mapping);
        (_reader, _manifest, _after, _chunkRows) = (reader, manifest, after, chunkRows);
        _columns = columns.Indices(manifest, reader.Header);
        _label = columns.LabelIndex(reader.Header);
    }

    public RecordChunk NewChunk() => new(_manifest, _columns, _label, _chunkRows);

    public async ValueTask<bool> FillAsync(RecordChunk chunk, CancellationToken cancellationToken)
    {
        chunk.Clear();
        while (!chunk.IsFull)
        {
            if (!await _reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            if (_reader.Row > _after)
            {
                chunk.TryAdd(_reader, null);
            }
        }

        return true;
    }
}
