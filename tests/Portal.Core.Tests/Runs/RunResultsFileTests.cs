using Microsoft.Data.Sqlite;
using Portal.Core.Datasets;
using Portal.Core.Runs;
using Portal.Core.Templates;
using Portal.Core.Tests.Templates;

namespace Portal.Core.Tests.Runs;

/// <summary>
/// The chunked results file on real files: what goes in comes out (numbers exactly, categories by their declared
/// name, label cells), pages sort and filter across chunks, a torn write is cut back on resume, an index row whose
/// data was lost is dropped, and results of the earlier row-per-result format are converted.
/// </summary>
public sealed class RunResultsFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-results-").FullName;
    private readonly TemplateManifest _credit = Manifest("finance-credit-risk");
    private readonly TemplateManifest _diabetes = Manifest("medical-diabetes-progression");

    private const string CreditHeader = "duration_months,credit_amount,installment_rate_pct,residence_years,age,existing_credits,people_liable,telephone,foreign_worker,checking_account,credit_history,purpose,savings,employment_years,personal_status,other_debtors,property,other_installment_plans,housing,job,credit_risk";

    [Fact]
    public async Task Rows_come_back_with_exact_numbers_declared_category_names_labels_and_label_cells()
    {
        var path = Path.Combine(_folder, "diabetes.results.db");
        var chunk = await ChunkAsync(_diabetes, "age,sex,bmi,bp,tc,ldl,hdl,tch,ltg,glu,progression\n57,2,25.6,96,200,133,52,3.85,4.3175,105,177\n53,1,22,94,175,88,59,3,4.94164062773,98,\n");
        await using (var results = await RunResultsFile.CreateAsync(path, _diabetes, CancellationToken.None))
        {
            await results.AppendAsync(chunk, [151.25f, 80.5f], CancellationToken.None);
        }

        await using var read = await RunResultsFile.OpenAsync(path, null, CancellationToken.None);
        var page = await read.PageAsync(new ResultQuery());
        Assert.Equal(2, page.Total);
        Assert.Equal(["57", "2", "25.6", "96", "200", "133", "52", "3.85", "4.3175", "105"], page.Rows[0].Inputs);
        Assert.Equal("4.94164062773", page.Rows[1].Inputs[8]); // not a float: kept as the double it was read as
        Assert.Equal((1, null, 151.25, "177"), (page.Rows[0].Row, page.Rows[0].Label, page.Rows[0].Score, page.Rows[0].Actual));
        Assert.Equal(string.Empty, page.Rows[1].Actual);
        var (actual, scores) = await read.LabelledAsync();
        Assert.Equal(["177"], actual);
        Assert.Equal([151.25f], scores);

        chunk = await ChunkAsync(_credit, CreditHeader + "\n12,3077,2,4,52,1,1,yes,yes,none,paidduly,radio_television,lt_100,1_to_4,male_single,none,carother,none,OWN,skilledemployee,good\n");
        path = Path.Combine(_folder, "credit.results.db");
        await using (var results = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            await results.AppendAsync(chunk, [0.73f], CancellationToken.None);
        }

        await using var credit = await RunResultsFile.OpenAsync(path, null, CancellationToken.None);
        var row = Assert.Single((await credit.PageAsync(new ResultQuery())).Rows);
        Assert.Equal("own", row.Inputs[_credit.Inputs.ToList().FindIndex(i => i.Name == "housing")]); // the declared spelling
        Assert.Equal(("bad", 0.73, "good"), (row.Label, row.Score, row.Actual));
    }

    [Fact]
    public async Task Pages_sort_filter_and_count_across_chunks()
    {
        var path = Path.Combine(_folder, "many.results.db");
        var text = CreditHeader + "\n" + string.Concat(Enumerable.Repeat(CreditLine + "\n", 10));
        await using (var results = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            var chunks = await ChunksAsync(_credit, text, 4); // rows 1–4, 5–8, 9–10
            Assert.Equal(3, chunks.Count);
            foreach (var chunk in chunks)
            {
                // Row r scores (r mod 5) / 5: 0.2, 0.4, 0.6, 0.8, 0, 0.2, …
                await results.AppendAsync(chunk, [.. chunk.Rows.Take(chunk.Count).Select(r => r % 5 / 5f)], CancellationToken.None);
            }

            Assert.Equal((10, 10), (await results.CountAsync(), await results.LastRowAsync()));
        }

        await using var read = await RunResultsFile.OpenAsync(path, null, CancellationToken.None);
        Assert.Equal([3, 4, 8, 9], (await read.PageAsync(new ResultQuery(Label: "bad"))).Rows.Select(r => r.Row));
        var byScore = await read.PageAsync(new ResultQuery(SortBy: "score", Descending: true, Take: 4));
        Assert.Equal([4, 9, 3, 8], byScore.Rows.Select(r => r.Row)); // equal scores in row order
        Assert.Equal([5, 10], (await read.PageAsync(new ResultQuery(SortBy: "score", Take: 2))).Rows.Select(r => r.Row));
        var range = await read.PageAsync(new ResultQuery(Skip: 1, Take: 1, MinScore: 0.3, MaxScore: 0.7));
        Assert.Equal((4, 3), (range.Total, range.Rows.Single().Row)); // rows 2, 3, 7 and 8 score 0.4 or 0.6
        Assert.Equal([10, 9, 8], (await read.PageAsync(new ResultQuery(Take: 3, Descending: true))).Rows.Select(r => r.Row));
        Assert.Equal([("bad", 4), ("good", 6)], await read.LabelCountsAsync());
        var histogram = await read.HistogramAsync(probability: true);
        Assert.Equal((10, 10, 2, 2), (histogram.Count, histogram.Sum(b => b.Count), histogram[0].Count, histogram[8].Count));
        Assert.Equal(Enumerable.Range(1, 10), await read.AllAsync().Select(r => r.Row).ToListAsync());
    }

    [Fact]
    public async Task Score_order_is_the_same_for_the_first_pages_and_for_deep_ones()
    {
        // 4,000 rows, 13 distinct scores: long runs of ties. The first pages (up to 1/16 of the rows) are picked without
        // sorting everything; they must match the full order (score, then row), ascending and descending, filtered too.
        var path = Path.Combine(_folder, "ties.results.db");
        static float ScoreOf(int row) => row * 7 % 13 / 13f;
        await using (var results = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            foreach (var chunk in await ChunksAsync(_credit, CreditHeader + "\n" + string.Concat(Enumerable.Repeat(CreditLine + "\n", 4_000)), 512))
            {
                await results.AppendAsync(chunk, [.. chunk.Rows.Take(chunk.Count).Select(ScoreOf)], CancellationToken.None);
            }
        }

        await using var read = await RunResultsFile.OpenAsync(path, null, CancellationToken.None);
        foreach (var descending in new[] { false, true })
        {
            foreach (var label in new string?[] { null, "good" })
            {
                var expected = Enumerable.Range(1, 4_000)
                    .Where(r => label is null || (Math.Round(ScoreOf(r), 6) >= ResultLabels.Threshold ? "bad" : "good") == label)
                    .OrderBy(r => descending ? -Math.Round(ScoreOf(r), 6) : Math.Round(ScoreOf(r), 6)).ThenBy(r => r)
                    .ToList();
                foreach (var skip in new[] { 0, 7, 100, 240, 1_000, expected.Count - 30 })
                {
                    var page = await read.PageAsync(new ResultQuery(Skip: skip, Take: 25, SortBy: "score", Descending: descending, Label: label));
                    Assert.Equal(expected.Count, page.Total);
                    Assert.Equal(expected.Skip(skip).Take(25), page.Rows.Select(r => r.Row));
                }
            }
        }
    }

    [Fact]
    public async Task A_torn_write_is_cut_back_and_a_chunk_whose_data_was_lost_is_scored_again()
    {
        var path = Path.Combine(_folder, "resume.results.db");
        var chunks = await CreditChunksAsync(6);
        long afterFirst;
        await using (var results = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            await results.AppendAsync(chunks[0], [0.1f, 0.2f, 0.3f], CancellationToken.None);
            afterFirst = new FileInfo(RunResultsFile.DataPathOf(path)).Length;
        }

        // A process killed between writing a chunk's data and indexing it leaves bytes nobody points at.
        await using (var data = new FileStream(RunResultsFile.DataPathOf(path), FileMode.Append))
        {
            data.Write(new byte[1000]);
        }

        await using (var resumed = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            Assert.Equal(afterFirst, new FileInfo(RunResultsFile.DataPathOf(path)).Length);
            Assert.Equal(3, await resumed.LastRowAsync());
            await resumed.AppendAsync(chunks[1], [0.4f, 0.5f, 0.6f], CancellationToken.None);
            Assert.Equal((6, 6), (await resumed.LastRowAsync(), await resumed.CountAsync()));
        }

        // A machine that lost power may keep the index row of the second chunk but not all of its data.
        SqliteConnection.ClearAllPools();
        await using (var data = new FileStream(RunResultsFile.DataPathOf(path), FileMode.Open))
        {
            data.SetLength(afterFirst + 10);
        }

        await using (var resumed = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            Assert.Equal((3, 3), (await resumed.LastRowAsync(), await resumed.CountAsync()));
            Assert.Equal([0.1, 0.2, 0.3], (await resumed.PageAsync(new ResultQuery())).Rows.Select(r => r.Score));
        }
    }

    [Fact]
    public async Task Appended_chunks_are_indexed_together_at_a_commit_and_before_the_file_is_read_or_closed()
    {
        var path = Path.Combine(_folder, "batched.results.db");
        var chunks = await CreditChunksAsync(12);
        await using (var results = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            await results.AppendAsync(chunks[0], [0.1f, 0.2f, 0.3f], CancellationToken.None);
            await results.AppendAsync(chunks[1], [0.4f, 0.5f, 0.6f], CancellationToken.None);

            // Another reader (or a process resuming after this one died) does not see them yet; the writer does.
            Assert.Equal(0, await CountFromOutsideAsync(path));
            Assert.Equal(6, await results.CountAsync());
            Assert.Equal(6, await CountFromOutsideAsync(path));

            await results.AppendAsync(chunks[2], [0.7f, 0.8f, 0.9f], CancellationToken.None);
            Assert.Equal(6, await CountFromOutsideAsync(path));
            await results.CommitAsync(CancellationToken.None);
            Assert.Equal(9, await CountFromOutsideAsync(path));
            await results.AppendAsync(chunks[3], [0.1f, 0.2f, 0.3f], CancellationToken.None); // not committed before closing
        }

        Assert.Equal(12, await CountFromOutsideAsync(path));

        static async Task<int> CountFromOutsideAsync(string path)
        {
            await using var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await reader.OpenAsync();
            await using var count = reader.CreateCommand();
            count.CommandText = "SELECT COALESCE(SUM(Count), 0) FROM Chunks";
            return Convert.ToInt32(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public async Task Results_whose_index_a_crash_damaged_start_over_instead_of_failing_the_run()
    {
        var path = Path.Combine(_folder, "damaged.results.db");
        var chunks = await CreditChunksAsync(6);
        await using (var results = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            await results.AppendAsync(chunks[0], [0.1f, 0.2f, 0.3f], CancellationToken.None);
            await results.CompleteAsync(CancellationToken.None);
        }

        // The index is not synced to disk: a machine that crashes while it is written may leave pages of garbage.
        SqliteConnection.ClearAllPools();
        var index = await File.ReadAllBytesAsync(path);
        Array.Fill(index, (byte)0xA5, 0, 512);
        await File.WriteAllBytesAsync(path, index);
        await Assert.ThrowsAsync<SqliteException>(() => RunResultsFile.OpenAsync(path, _credit, CancellationToken.None));

        await using (var resumed = await RunResultsFile.CreateAsync(path, _credit, CancellationToken.None))
        {
            Assert.Equal((0, 0), (await resumed.LastRowAsync(), await resumed.CountAsync()));
            Assert.Equal(0, new FileInfo(RunResultsFile.DataPathOf(path)).Length);
            await resumed.AppendAsync(chunks[0], [0.1f, 0.2f, 0.3f], CancellationToken.None);
            await resumed.AppendAsync(chunks[1], [0.4f, 0.5f, 0.6f], CancellationToken.None);
            Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], (await resumed.PageAsync(new ResultQuery())).Rows.Select(r => r.Score));
        }
    }

    [Fact]
    public async Task Results_of_the_row_per_result_format_are_converted_on_open()
    {
        var path = Path.Combine(_folder, "old.results.db");
        await using (var old = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            await old.OpenAsync();
            await using var create = old.CreateCommand();
            create.CommandText = "CREATE TABLE Results (Row INTEGER PRIMARY KEY, Label TEXT, Score REAL NOT NULL, Actual TEXT, Inputs TEXT NOT NULL)";
            await create.ExecuteNonQueryAsync();
            var cells = "12,3077,2,4,52,1,1,yes,yes,none,paidduly,radio_television,lt_100,1_to_4,male_single,none,carother,none,own,skilledemployee".Split(',');
            var byInput = _credit.Inputs.Select(i => cells[CreditHeader.Split(',').ToList().IndexOf(i.Name)]);
            foreach (var (row, score) in new[] { (2, 0.81), (5, 0.12) })
            {
                await using var insert = old.CreateCommand();
                insert.CommandText = "INSERT INTO Results VALUES ($row, $label, $score, 'good', $inputs)";
                insert.Parameters.AddWithValue("$row", row);
                insert.Parameters.AddWithValue("$label", score >= 0.5 ? "bad" : "good");
                insert.Parameters.AddWithValue("$score", score);
                insert.Parameters.AddWithValue("$inputs", string.Join('\u001F', byInput));
                await insert.ExecuteNonQueryAsync();
            }
        }

        await using var read = await RunResultsFile.OpenAsync(path, _credit, CancellationToken.None);
        var rows = (await read.PageAsync(new ResultQuery())).Rows;
        Assert.Equal([(2, "bad", 0.81, "good"), (5, "good", 0.12, "good")], rows.Select(r => (r.Row, r.Label, r.Score, r.Actual)));
        Assert.Equal("3077", rows[0].Inputs[_credit.Inputs.ToList().FindIndex(i => i.Name == "credit_amount")]);
        await using var check = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=false");
        await check.OpenAsync();
        await using var tables = check.CreateCommand();
        tables.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'Results'";
        Assert.Equal(0L, await tables.ExecuteScalarAsync());
    }

    /// <summary>Chunks of three copies of one credit application (<paramref name="rows"/> rows in all).</summary>
    private Task<List<RecordChunk>> CreditChunksAsync(int rows) =>
        ChunksAsync(_credit, CreditHeader + "\n" + string.Concat(Enumerable.Repeat(CreditLine + "\n", rows)), 3);

    private const string CreditLine = "12,3077,2,4,52,1,1,yes,yes,none,paidduly,radio_television,lt_100,1_to_4,male_single,none,carother,none,own,skilledemployee,good";

    private async Task<RecordChunk> ChunkAsync(TemplateManifest manifest, string csv) => Assert.Single(await ChunksAsync(manifest, csv, 4096));

    private async Task<List<RecordChunk>> ChunksAsync(TemplateManifest manifest, string csv, int size)
    {
        var file = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(file, csv);
        using var reader = await TabularFile.OpenAsync(file, DatasetFormat.Csv, new UploadOptions());
        var mapping = ColumnMapping.Match(manifest, reader.Header);
        var chunks = new List<RecordChunk>();
        RecordChunk? chunk = null;
        while (await reader.ReadAsync())
        {
            if (chunk is null || chunk.IsFull)
            {
                chunks.Add(chunk = new RecordChunk(manifest, mapping.Indices(manifest, reader.Header), mapping.LabelIndex(reader.Header), size));
            }

            Assert.True(chunk.TryAdd(reader, null));
        }

        return chunks;
    }

    private static TemplateManifest Manifest(string id) => TemplatePacks.Manifest(id);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
