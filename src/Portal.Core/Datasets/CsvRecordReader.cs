using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Portal.Core.Datasets;

/// <summary>
/// RFC 4180 CSV (any of <c>, ; TAB |</c>, quotes, doubled quotes, CR/LF/CRLF) read from a text reader in 64 K-character
/// blocks. Cells are handed out as spans of the block, so reading allocates nothing per record: a record without a quote
/// is found and split at its delimiters in one vectorised pass over the block; a record with a quote
/// goes through the character-by-character state machine into a side buffer. Limits on record length and column count
/// keep a hostile file from taking the memory; a quote left open, an encoding error or a record over the limit throws
/// a <see cref="TabularFileException"/> naming the line. Also reads JSON lines' raw lines (no delimiter, no quoting).
/// </summary>
internal sealed class CsvRecordReader : IDisposable
{
    private const int BlockChars = 64 * 1024;
    private readonly TextReader _reader;
    private readonly char _delimiter;
    private readonly bool _quoting;
    private readonly int _maxChars;
    private readonly int _maxColumns;
    private char[] _buffer = new char[BlockChars];
    private char[] _side = new char[256];
    private bool _inSide;
    private int _pos;
    private int _len;
    private bool _eof;
    private bool _skipLinefeed;
    private int _line = 1;
    private int[] _starts = new int[32];
    private int[] _lengths = new int[32];

    public CsvRecordReader(TextReader reader, char delimiter, bool quoting, int maxChars, int maxColumns)
    {
        _reader = reader;
        _delimiter = delimiter;
        _quoting = quoting;
        _maxChars = maxChars;
        _maxColumns = maxColumns;
    }

    /// <summary>The number of cells of the current record.</summary>
    public int Count { get; private set; }

    /// <summary>Cell <paramref name="i"/> of the current record; valid until the next read.</summary>
    public ReadOnlySpan<char> this[int i] => (_inSide ? _side : _buffer).AsSpan(_starts[i], _lengths[i]);

    /// <summary>Cell <paramref name="i"/> of the current record as a string.</summary>
    public string Text(int i) => new(this[i]);

    /// <summary>The current record's cells as strings.</summary>
    public List<string> ToList()
    {
        var cells = new List<string>(Count);
        for (var i = 0; i < Count; i++)
        {
            cells.Add(Text(i));
        }

        return cells;
    }

    /// <summary>The physical line the current record started on (1-based).</summary>
    public int StartLine { get; private set; }

    /// <summary>Reads the next record; false at the end. Empty lines are skipped.</summary>
    /// <remarks>A record that lies whole in the block is read without an asynchronous state machine.</remarks>
    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        _inSide = false;
        while (!_skipLinefeed && _pos < _len)
        {
            StartLine = _line;
            if (!ScanLine(_pos, out var end) || end - _pos >= _maxChars)
            {
                break;
            }

            var length = end - _pos;
            _pos = end;
            SkipLineEnd();
            if (length > 0)
            {
                return ValueTask.FromResult(true);
            }
        }

        return ReadBeyondBlockAsync(cancellationToken);
    }

    /// <summary>The general case: the block is refilled as needed; a record with a quote goes to the state machine.</summary>
    private async ValueTask<bool> ReadBeyondBlockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_skipLinefeed)
            {
                _skipLinefeed = false;
                if ((_pos < _len || await FillAsync(cancellationToken)) && _buffer[_pos] == '\n')
                {
                    _pos++;
                }
            }

            StartLine = _line;
            int end;
            while (!ScanLine(_pos, out end) && end == _len)
            {
                if (end - _pos >= _maxChars)
                {
                    throw TooLong();
                }

                if (!await FillAsync(cancellationToken))
                {
                    ScanLine(_pos, out end); // the block moved; the last record has no line end
                    break;
                }
            }

            if (end - _pos >= _maxChars)
            {
                throw TooLong();
            }

            if (end < _len && _buffer[end] == '"')
            {
                return await ReadQuotedAsync(cancellationToken);
            }

            if (end == _pos && end == _len)
            {
                Count = 0;
                return false; // the end of the file
            }

            var length = end - _pos;
            _pos = end;
            if (end < _len)
            {
                SkipLineEnd();
            }

            if (length > 0)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Finds the end of the line starting at <paramref name="start"/> and its cells in one pass, 16 characters at a time:
    /// true with <paramref name="end"/> at the CR or LF; false with <paramref name="end"/> at a quote (the record needs the
    /// state machine) or at the end of the block (the record goes on in the next one; the cells so far are recorded).
    /// </summary>
    /// <remarks>Compiled fully optimised at once, for the reason <see cref="ColumnConversions"/> gives.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ScanLine(int start, out int end)
    {
        Count = 0;
        var cell = start;
        var i = start;
        var len = _len;
        ref var chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetArrayDataReference(_buffer));
        if (Vector256.IsHardwareAccelerated)
        {
            var delimiter = Vector256.Create((ushort)_delimiter);
            var lf = Vector256.Create((ushort)'\n');
            var cr = Vector256.Create((ushort)'\r');
            var quote = Vector256.Create(_quoting ? (ushort)'"' : (ushort)'\n');
            while (i + Vector256<ushort>.Count <= len)
            {
                var v = Vector256.LoadUnsafe(ref chars, (nuint)i);
                var special = (Vector256.Equals(v, lf) | Vector256.Equals(v, cr) | Vector256.Equals(v, quote)).ExtractMostSignificantBits();
                var delimiters = Vector256.Equals(v, delimiter).ExtractMostSignificantBits();
                if (special != 0)
                {
                    var stop = BitOperations.TrailingZeroCount(special);
                    AddCells(delimiters & ((1u << stop) - 1), i, ref cell);
                    end = i + stop;
                    return LineEnd(cell, end);
                }

                AddCells(delimiters, i, ref cell);
                i += Vector256<ushort>.Count;
            }
        }

        for (; i < len; i++)
        {
            var c = _buffer[i];
            if (c == _delimiter)
            {
                AddCell(cell, i - cell);
                cell = i + 1;
            }
            else if (c is '\n' or '\r' || (c == '"' && _quoting))
            {
                end = i;
                return LineEnd(cell, end);
            }
        }

        end = len;
        AddCell(cell, len - cell);
        return false;
    }

    private bool LineEnd(int cell, int end)
    {
        if (_buffer[end] == '"')
        {
            return false;
        }

        AddCell(cell, end - cell);
        return true;
    }

    private void AddCells(uint delimiters, int at, ref int cell)
    {
        while (delimiters != 0)
        {
            var p = at + BitOperations.TrailingZeroCount(delimiters);
            AddCell(cell, p - cell);
            cell = p + 1;
            delimiters &= delimiters - 1;
        }
    }

    private void AddCell(int start, int length)
    {
        if (Count >= _maxColumns)
        {
            throw new TabularFileException("Line {0} has more than {1:N0} columns.", StartLine, _maxColumns);
        }

        if (Count == _starts.Length)
        {
            Array.Resize(ref _starts, Count * 2);
            Array.Resize(ref _lengths, Count * 2);
        }

        _starts[Count] = start;
        _lengths[Count] = length;
        Count++;
    }

    /// <summary>
    /// Consumes the line end at <see cref="_pos"/> (CR, LF or CRLF) without reading on: a CR at the end of the block
    /// leaves its LF to the next read, because reading now would overwrite the record's cells.
    /// </summary>
    private void SkipLineEnd()
    {
        var c = _buffer[_pos++];
        _line++;
        if (c == '\r')
        {
            if (_pos < _len)
            {
                if (_buffer[_pos] == '\n')
                {
                    _pos++;
                }
            }
            else
            {
                _skipLinefeed = true;
            }
        }
    }

    /// <summary>A record with a quote somewhere: the state machine, cells copied into the side buffer.</summary>
    private async ValueTask<bool> ReadQuotedAsync(CancellationToken cancellationToken)
    {
        _inSide = true;
        Count = 0;
        var used = 0;
        var field = 0;
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
                throw TooLong();
            }

            if (inQuotes)
            {
                if (c == '"')
                {
                    if ((_pos < _len || await FillAsync(cancellationToken)) && _buffer[_pos] == '"')
                    {
                        Append('"');
                        _pos++;
                        chars++;
                        continue;
                    }

                    inQuotes = false;
                    continue;
                }

                if (c == '\n')
                {
                    _line++;
                }

                Append(c);
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
                if (!any && used == field)
                {
                    StartLine = _line; // an empty line
                    chars = 0;
                    continue;
                }

                EndField();
                return true;
            }

            if (c == '"' && _quoting && used == field)
            {
                inQuotes = true;
                quoteLine = _line;
                any = true;
                continue;
            }

            Append(c);
            any = true;
        }

        if (inQuotes)
        {
            throw new TabularFileException("A quote opened on line {0} is never closed, so the rest of the file would be one cell.", quoteLine);
        }

        if (!any)
        {
            return false;
        }

        EndField();
        return true;

        void Append(char c)
        {
            if (used == _side.Length)
            {
                Array.Resize(ref _side, _side.Length * 2);
            }

            _side[used++] = c;
        }

        void EndField()
        {
            AddCell(field, used - field);
            field = used;
        }
    }

    private TabularFileException TooLong() =>
        new TabularFileException("The record starting on line {0} is longer than {1:N0} characters. Is the file really a table?", StartLine, _maxChars);

    /// <summary>
    /// Reads the next block behind the unread text (which moves to the front; the block grows while a single record
    /// needs more room, up to the record limit). False at the end of the file.
    /// </summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_eof)
        {
            return false;
        }

        var unread = _len - _pos;
        if (_pos > 0)
        {
            Array.Copy(_buffer, _pos, _buffer, 0, unread);
        }

        if (_buffer.Length - unread < BlockChars / 2)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2); // one record fills the block
        }

        (_pos, _len) = (0, unread);
        int read;
        try
        {
            read = await _reader.ReadAsync(_buffer.AsMemory(_len), cancellationToken);
        }
        catch (DecoderFallbackException)
        {
            throw new TabularFileException("The text is not valid in its encoding near line {0}. Save the file as UTF-8 and upload it again.", _line);
        }

        _len += read;
        _eof = read == 0;
        return read > 0;
    }

    public void Dispose() => _reader.Dispose();
}
