using System.Text;
using Microsoft.Data.Sqlite;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Inference.Runs;
using Portal.Inference.Templates;

namespace Portal.Inference.Tests.Runs;

/// <summary>
/// The run pipeline on the credit pack and real files, with one chunk at a time with the model and with three, reading
/// the file itself or the valid rows its check kept: every valid row scored once and stored in file order with the
/// model's own score, the same results from either source, a resume after a given row (also inside a checked chunk), a
/// stop and a cancel after a chunk, and a file that turns unreadable half-way (the chunks before it are stored, the
/// error is the reader's).
/// </summary>
public sealed class RunPipelineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-pipeline-").FullName;
    private readonly TemplateCatalog _catalog = Packs.Catalog();

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    public async Task Every_valid_row_is_scored_once_in_file_order_with_the_models_score(int chunksWithModel, bool fromCheck)
    {
        var (csv, rows) = await CreditFileAsync(2_500, invalidEvery: 7);
        var (scored, completed, results) = await RunAsync(csv, after: 0, chunkRows: 64, chunksWithModel: chunksWithModel, fromCheck: fromCheck);
        Assert.True(completed);
        var expected = Enumerable.Range(1, rows).Where(r => r % 7 != 0).ToList();
        Assert.Equal(expected.Count, scored);
        var all = await results.ToListAsync();
        Assert.Equal(expected, all.Select(r => r.Row));

        var model = _catalog.Model("finance-credit-risk")!;
        var (_, sample) = Packs.ReadCsv(Path.Combine(Packs.Folder(), "..", "Portal.Training", "Data", "german-credit", "german-credit.csv"));
        var manifest = _catalog.Find("finance-credit-risk")!.Manifest;
        var direct = model.Score(Packs.Batch(manifest, sample.Take(6)));
        Assert.Equal(direct.Select(s => Math.Round(s, 6)), all.Take(6).Select(r => r.Score)); // rows 1–6 are the data set's first six

        // Every stored score is the model's for that row, whichever chunk and thread scored it.
        var again = model.Score(Packs.Batch(manifest, expected.Select(r => sample[(r - 1) % sample.Count])));
        Assert.Equal(again.Select(s => Math.Round(s, 6)), all.Select(r => r.Score));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public async Task A_resumed_run_scores_only_the_rows_after_the_last_stored_one_and_a_stop_keeps_what_was_stored(int chunksWithModel, bool fromCheck)
    {
        var (csv, _) = await CreditFileAsync(1_000, invalidEvery: 0);
        var (scored, completed, results) = await RunAsync(csv, after: 600, chunkRows: 100, chunksWithModel: chunksWithModel, fromCheck: fromCheck);
        Assert.Equal((400, true), (scored, completed));
        Assert.Equal(Enumerable.Range(601, 400), await results.Select(r => r.Row).ToListAsync());

        // Inside a chunk (after an earlier attempt with another chunk size): the rest of that chunk, then the others.
        (scored, completed, results) = await RunAsync(csv, after: 650, chunkRows: 100, chunksWithModel: chunksWithModel, fromCheck: fromCheck);
        Assert.Equal((350, true), (scored, completed));
        Assert.Equal(Enumerable.Range(651, 350), await results.Select(r => r.Row).ToListAsync());

        var stops = 0;
        (scored, completed, results) = await RunAsync(csv, after: 0, chunkRows: 100, chunksWithModel: chunksWithModel, afterChunk: _ => Task.FromResult(++stops < 3), fromCheck: fromCheck);
        Assert.Equal((300, false), (scored, completed));
        Assert.Equal(Enumerable.Range(1, 300), await results.Select(r => r.Row).ToListAsync());
    }

    [Fact]
    public async Task The_rows_a_check_kept_give_the_same_results_as_reading_the_file()
    {
        // Label cells with a non-ASCII spelling, and invalid rows (numbers that are not floats: RecordChunkTests).
        var (csv, _) = await CreditFileAsync(1_500, invalidEvery: 11, edit: (r, _, cells) =>
        {
            if (r % 5 == 0)
            {
                cells[^1] = "bäd";
            }
        });
        var (_, _, fromFile) = await RunAsync(csv, after: 0, chunkRows: 128, chunksWithModel: 3, fromCheck: false);
        var (_, _, fromCheck) = await RunAsync(csv, after: 0, chunkRows: 128, chunksWithModel: 3, fromCheck: true);
        var expected = await fromFile.ToListAsync();
        var actual = await fromCheck.ToListAsync();
        Assert.Equal(1_500 - (1_500 / 11), expected.Count);
        Assert.Contains(expected, r => r.Actual == "bäd");
        Assert.Equal(expected.Select(Describe), actual.Select(Describe));

        static string Describe(ResultRow r) => $"{r.Row}|{r.Label}|{r.Score}|{r.Actual}|{string.Join(';', r.Inputs)}";
    }

    [Fact]
    public async Task A_cancelled_run_stops_with_whole_chunks_stored_in_file_order()
    {
        var (csv, _) = await CreditFileAsync(5_000, invalidEvery: 0);
        using var cancel = new CancellationTokenSource();
        var chunks = 0;
        var path = Path.Combine(_folder, "cancelled.results.db");
        var pack = _catalog.Find("finance-credit-risk")!;
        using (var reader = await TabularFile.OpenAsync(csv, DatasetFormat.Csv, new UploadOptions()))
        await using (var results = await RunResultsFile.CreateAsync(path, pack.Manifest, CancellationToken.None))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new RunPipeline(_catalog.Model(pack.Id)!, chunksWithModel: 3)
                .RunAsync(new FileRecords(reader, pack.Manifest, null, 0, 100), results, async _ =>
                {
                    if (++chunks == 4)
                    {
                        await cancel.CancelAsync();
                    }

                    return true;
                }, cancel.Token));
        }

        Assert.Equal(Enumerable.Range(1, 400), await ReadAllAsync(path).Select(r => r.Row).ToListAsync());
    }

    [Fact]
    public async Task A_file_that_turns_unreadable_fails_with_the_readers_message_after_storing_the_chunks_before()
    {
        var (csv, _) = await CreditFileAsync(3_000, invalidEvery: 0);
        await using (var file = new FileStream(csv, FileMode.Append))
        {
            file.Write([0xFF, 0xFE, 0x0A]);
        }

        var path = Path.Combine(_folder, "broken.results.db");
        var pack = _catalog.Find("finance-credit-risk")!;
        using var reader = await TabularFile.OpenAsync(csv, DatasetFormat.Csv, new UploadOptions());
        await using var results = await RunResultsFile.CreateAsync(path, pack.Manifest, CancellationToken.None);
        var error = await Assert.ThrowsAsync<TabularFileException>(() =>
            new RunPipeline(_catalog.Model(pack.Id)!, chunksWithModel: 3).RunAsync(new FileRecords(reader, pack.Manifest, null, 0, 500), results, _ => Task.FromResult(true), CancellationToken.None));
        Assert.Contains("not valid in its encoding", error.Message, StringComparison.Ordinal);
        var stored = await results.CountAsync();
        Assert.True(stored is > 0 and < 3_000 && stored % 500 == 0, $"{stored} rows stored");
        Assert.Equal(stored, await results.LastRowAsync());
    }

    private async Task<(int Scored, bool Completed, IAsyncEnumerable<ResultRow> Results)> RunAsync(
        string csv, int after, int chunkRows, int chunksWithModel = 2, Func<int, Task<bool>>? afterChunk = null, bool fromCheck = false)
    {
        var pack = _catalog.Find("finance-credit-risk")!;
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".results.db");
        using var reader = await TabularFile.OpenAsync(csv, DatasetFormat.Csv, new UploadOptions());
        using var checkedRows = fromCheck ? await CheckAsync(csv, chunkRows) : null;
        int scored;
        bool completed;
        await using (var results = await RunResultsFile.CreateAsync(path, pack.Manifest, CancellationToken.None))
        {
            (scored, completed) = await new RunPipeline(_catalog.Model(pack.Id)!, chunksWithModel).RunAsync(
                checkedRows?.After(after) ?? (IRecordSource)new FileRecords(reader, pack.Manifest, null, after, chunkRows),
                results,
                afterChunk ?? (_ => Task.FromResult(true)),
                CancellationToken.None);
        }

        return (scored, completed, ReadAllAsync(path));
    }

    /// <summary>The file's check, keeping its valid rows.</summary>
    private async Task<CheckedRowsReader> CheckAsync(string csv, int chunkRows)
    {
        var pack = _catalog.Find("finance-credit-risk")!;
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".rows");
        using (var reader = await TabularFile.OpenAsync(csv, DatasetFormat.Csv, new UploadOptions()))
        await using (var rows = CheckedRowsFile.Create(path, chunkRows))
        {
            var report = await DatasetValidator.ValidateAsync(reader, pack.Manifest, null, 10, null, rows, CancellationToken.None);
            Assert.Equal(report.ValidRows, rows.Rows);
            await rows.CompleteAsync("test", CancellationToken.None);
        }

        return await CheckedRowsFile.TryOpenAsync(path, "test", pack.Manifest, labelled: true, CancellationToken.None) ?? throw new InvalidOperationException("The check kept no rows.");
    }

    private static async IAsyncEnumerable<ResultRow> ReadAllAsync(string path)
    {
        await using var results = await RunResultsFile.OpenAsync(path, null, CancellationToken.None);
        await foreach (var row in results.AllAsync())
        {
            yield return row;
        }
    }

    /// <summary>The credit data set's rows repeated; every <paramref name="invalidEvery"/>-th row gets an age of -1.</summary>
    private async Task<(string Path, int Rows)> CreditFileAsync(int rows, int invalidEvery, Action<int, string[], string[]>? edit = null)
    {
        var source = await File.ReadAllLinesAsync(Path.Combine(Packs.Folder(), "..", "Portal.Training", "Data", "german-credit", "german-credit.csv"));
        var header = source[0].Split(',');
        var age = Array.IndexOf(header, "age");
        var text = new StringBuilder(source[0]).Append('\n');
        for (var r = 1; r <= rows; r++)
        {
            var cells = source[1 + ((r - 1) % (source.Length - 1))].Split(',');
            if (invalidEvery > 0 && r % invalidEvery == 0)
            {
                cells[age] = "-1";
            }

            edit?.Invoke(r, header, cells);

            text.AppendJoin(',', cells).Append('\n');
        }

        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(path, text.ToString());
        return (path, rows);
    }

    public void Dispose()
    {
        _catalog.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
