using System.Globalization;
using System.Text;

namespace Portal.Core.Datasets;

/// <summary>
/// RFC 4180 CSV (any of <c>, ; TAB |</c>, quotes, doubled quotes, CR/LF/CRLF) read from a stream in 64 KB blocks.
/// Limits on record length and column count keep a hostile file from taking the memory; a quote left open, an
/// encoding error or a record over the limit throws a <see cref="TabularFileException"/> naming the line.
/// Also reads JSON lines' raw lines (no delimiter, no quoting).
/// </summary>
internal sealed class CsvRecordReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly char _delimiter;
    private readonly bool _quoting;
    private readonly int _maxChars;
    private readonly int _maxColumns;
    private readonly char[] _buffer = new char[64 * 1024];
    private readonly StringBuilder _field = new();
    private int _pos;
    private int _len;
    private int _line = 1;

    public CsvRecordReader(TextReader reader, char delimiter, bool quoting, int maxChars, int maxColumns)
    {
        _reader = reader;
        _delimiter = delimiter;
        _quoting = quoting;
        _maxChars = maxChars;
        _maxColumns = maxColumns;
    }

    public List<string> Cells { get; } = [];

    /// <summary>The physical line the current record started on (1-based).</summary>
    public int StartLine { get; private set; }

    /// <summary>Reads the next record into <see cref="Cells"/>; false at the end. Empty lines are skipped.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        Cells.Clear();
        _field.Clear();
        StartLine = _line;
        var chars = 0;
        var inQuotes = false;
        var quoteLine = 0;
        var any = false;
        while (true)
        {
            if (_pos == _len && !await FillAsync(cancellationToken))
            {
                break;
            }

            var c = _buffer[_pos++];
            if (++chars > _maxChars)
            {
                throw new TabularFileException(string.Create(CultureInfo.InvariantCulture,
                    $"The record starting on line {StartLine} is longer than {_maxChars:N0} characters. Is the file really a table?"));
            }

            if (inQuotes)
            {
                if (c == '"')
                {
                    if (_pos < _len || await FillAsync(cancellationToken))
                    {
                        if (_buffer[_pos] == '"')
                        {
                            _field.Append('"');
                            _pos++;
                            chars++;
                            continue;
                        }
                    }

                    inQuotes = false;
                    continue;
                }

                if (c == '\n')
                {
                    _line++;
                }

                _field.Append(c);
                continue;
            }

            if (c == _delimiter)
            {
                EndField();
                any = true;
                continue;
            }

            if (c is '\r' or '\n')
            {
                if (c == '\r' && (_pos < _len || await FillAsync(cancellationToken)) && _buffer[_pos] == '\n')
                {
                    _pos++;
                }

                _line++;
                if (!any && _field.Length == 0)
                {
                    StartLine = _line; // an empty line
                    chars = 0;
                    continue;
                }

                EndField();
                return true;
            }

            if (c == '"' && _quoting && _field.Length == 0)
            {
                inQuotes = true;
                quoteLine = _line;
                any = true;
                continue;
            }

            _field.Append(c);
            any = true;
        }

        if (inQuotes)
        {
            throw new TabularFileException(string.Create(CultureInfo.InvariantCulture,
                $"A quote opened on line {quoteLine} is never closed, so the rest of the file would be one cell."));
        }

        if (!any)
        {
            return false;
        }

        EndField();
        return true;
    }

    private void EndField()
    {
        if (Cells.Count >= _maxColumns)
        {
            throw new TabularFileException(string.Create(CultureInfo.InvariantCulture,
                $"Line {StartLine} has more than {_maxColumns:N0} columns."));
        }

        Cells.Add(_field.ToString());
        _field.Clear();
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        try
        {
            _len = await _reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
        }
        catch (DecoderFallbackException)
        {
            throw new TabularFileException(string.Create(CultureInfo.InvariantCulture,
                $"The text is not valid in its encoding near line {_line}. Save the file as UTF-8 and upload it again."));
        }

        _pos = 0;
        return _len > 0;
    }

    public void Dispose() => _reader.Dispose();
}
