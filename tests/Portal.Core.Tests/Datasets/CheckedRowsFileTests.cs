using Microsoft.Extensions.Options;
using Portal.Core.Datasets;
using Portal.Core.Templates;
using Portal.Core.Tests.Templates;

namespace Portal.Core.Tests.Datasets;

/// <summary>
/// The valid rows a check keeps for the run, on real files: what the check found comes back exactly (numbers that are
/// not floats as the doubles they were read as, categories as positions, label cells, file row numbers) in chunks of
/// the check's size without the invalid rows; a file of another check, an unfinished check and a damaged file are not
/// read as rows; a resume inside a chunk drops that chunk's earlier rows; stale checks are swept.
/// </summary>
public sealed class CheckedRowsFileTests : IDisposable
{
    private const string DiabetesHeader = "age,sex,bmi,bp,tc,ldl,hdl,tch,ltg,glu,progression";
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-checked-").FullName;
    private readonly TemplateManifest _diabetes = Manifest("medical-diabetes-progression");

    [Fact]
    public async Task The_valid_rows_come_back_exactly_in_chunks_of_the_checks_size()
    {
        var csv = DiabetesHeader + "\n"
            + "57,2,25.6,96,200,133,52,3.85,4.3175,105,177\n"
            + "53,1,22,94,175,88,59,3,4.94164062773,98,\n" // not a float; an empty label cell
            + "-4,1,22,94,175,88,59,3,4.5,98,80\n" // invalid: age below its minimum
            + "60,2,30.1,101,190,120,45,4,4.2,99,fünf\n"
            + "61,1,31,102,191,121,46,5,4.1,100,200\n";
        var (report, path) = await CheckAsync(csv, chunkRows: 2);
        Assert.Equal((5, 4), (report.TotalRows, report.ValidRows));

        using var rows = await CheckedRowsFile.TryOpenAsync(path, "check", _diabetes, labelled: true, CancellationToken.None);
        Assert.NotNull(rows);
        Assert.Equal(4, rows.Rows);
        var chunk = rows.NewChunk();
        Assert.True(await rows.FillAsync(chunk, CancellationToken.None));
        Assert.Equal([1, 2], chunk.Rows[..chunk.Count]);
        var ltg = _diabetes.Inputs.ToList().FindIndex(i => i.Name == "ltg");
        Assert.Equal([4.3175, 4.94164062773], chunk.Numbers(ltg)![..2]);
        Assert.Equal([4.3175f, 4.94164062773f], chunk.Batch.Values(ltg)[..2]);
        Assert.Equal([57.0, 53.0], chunk.Numbers(0)![..2]);
        Assert.Equal("177", chunk.Labels!.Chars[..chunk.Labels.Ends[0]].ToString());
        Assert.Equal(chunk.Labels.Ends[0], chunk.Labels.Ends[1]); // the empty cell

        Assert.False(await rows.FillAsync(chunk, CancellationToken.None)); // the last chunk
        Assert.Equal([4, 5], chunk.Rows[..chunk.Count]);
        Assert.Equal("fünf200", chunk.Labels!.Chars.ToString());
        Assert.Equal([30.1, 31.0], chunk.Numbers(_diabetes.Inputs.ToList().FindIndex(i => i.Name == "bmi"))![..2]);
    }

    [Fact]
    public async Task Categories_come_back_as_their_positions()
    {
        var credit = Manifest("finance-credit-risk");
        var header = string.Join(',', credit.Inputs.Select(i => i.Name)) + ",credit_risk";
        var line = "12,3077,2,4,52,1,1,yes,yes,none,paidduly,radio_television,lt_100,1_to_4,male_single,none,carother,none,OWN,skilledemployee,good";
        var file = Path.Combine(_folder, "credit.csv");
        await File.WriteAllTextAsync(file, header + "\n" + line + "\n");
        var path = Path.Combine(_folder, "credit.rows");
        using (var reader = await TabularFile.OpenAsync(file, DatasetFormat.Csv, new UploadOptions()))
        await using (var writer = CheckedRowsFile.Create(path, 10))
        {
            await DatasetValidator.ValidateAsync(reader, credit, null, 10, null, writer, CancellationToken.None);
            await writer.CompleteAsync("credit", CancellationToken.None);
        }

        using var rows = await CheckedRowsFile.TryOpenAsync(path, "credit", credit, labelled: true, CancellationToken.None);
        var chunk = rows!.NewChunk();
        await rows.FillAsync(chunk, CancellationToken.None);
        var housing = credit.Inputs.ToList().FindIndex(i => i.Name == "housing");
        Assert.Equal("own", chunk.Batch.ValueText(0, housing)); // the declared spelling, from the position
        Assert.Null(chunk.Numbers(housing));
        Assert.Equal("good", chunk.Labels!.Chars.ToString());
    }

    [Fact]
    public async Task Another_checks_rows_an_unfinished_check_and_a_damaged_file_are_not_read_as_rows()
    {
        var csv = DiabetesHeader + "\n57,2,25.6,96,200,133,52,3.85,4.3175,105,177\n";
        var (_, path) = await CheckAsync(csv, chunkRows: 10);
        Assert.Null(await CheckedRowsFile.TryOpenAsync(path, "another check", _diabetes, labelled: true, CancellationToken.None));
        Assert.Null(await CheckedRowsFile.TryOpenAsync(Path.Combine(_folder, "none.rows"), "check", _diabetes, labelled: true, CancellationToken.None));
        Assert.Equal(1, await CheckedRowsFile.RowsAsync(path, "check", CancellationToken.None));

        // Cut short: the trailer is gone.
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..^3]);
        Assert.Null(await CheckedRowsFile.TryOpenAsync(path, "check", _diabetes, labelled: true, CancellationToken.None));
        Assert.Null(await CheckedRowsFile.RowsAsync(path, "check", CancellationToken.None));

        // A chunk's length that runs past the chunks.
        bytes[0] = 0xFF;
        await File.WriteAllBytesAsync(path, bytes);
        using (var damaged = await CheckedRowsFile.TryOpenAsync(path, "check", _diabetes, labelled: true, CancellationToken.None))
        {
            await Assert.ThrowsAsync<InvalidDataException>(async () => await damaged!.FillAsync(damaged.NewChunk(), CancellationToken.None));
        }

        // A check that stops before the end (a cancelled request) leaves nothing behind.
        var unfinished = Path.Combine(_folder, "unfinished.rows");
        await using (var writer = CheckedRowsFile.Create(unfinished, 10))
        {
            Assert.Single(Directory.GetFiles(_folder, "unfinished.rows.*.tmp"));
        }

        Assert.Empty(Directory.GetFiles(_folder, "unfinished.rows*"));
    }

    [Fact]
    public async Task A_resume_inside_a_chunk_drops_that_chunks_earlier_rows_and_their_labels()
    {
        var lines = Enumerable.Range(1, 7).Select(i => $"{20 + i},2,25.6,96,200,133,52,3.85,4.3175,105,label{i}");
        var (_, path) = await CheckAsync(DiabetesHeader + "\n" + string.Join('\n', lines) + "\n", chunkRows: 3);
        using var rows = (await CheckedRowsFile.TryOpenAsync(path, "check", _diabetes, labelled: true, CancellationToken.None))!.After(4);
        var chunk = rows.NewChunk();
        Assert.True(await rows.FillAsync(chunk, CancellationToken.None)); // rows 1–3 skipped whole, 4 dropped from 4–6
        Assert.Equal([5, 6], chunk.Rows[..chunk.Count]);
        Assert.Equal([25.0, 26.0], chunk.Numbers(0)![..2]);
        Assert.Equal([25f, 26f], chunk.Batch.Values(0)[..2]);
        Assert.Equal("label5label6", chunk.Labels!.Chars.ToString());
        Assert.Equal([6, 12], chunk.Labels.Ends.ToArray());
        Assert.False(await rows.FillAsync(chunk, CancellationToken.None));
        Assert.Equal([7], chunk.Rows[..chunk.Count]);
    }

    [Fact]
    public void Checks_no_run_took_are_swept_and_recent_ones_kept()
    {
        var storage = new DatasetStorage(new PortalPaths(_folder), Options.Create(new StorageOptions { Root = "storage" }));
        var (tenant, stale, recent) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var stalePath = storage.Resolve(storage.CheckedRowsPath(tenant, stale));
        var recentPath = storage.Resolve(storage.CheckedRowsPath(tenant, recent));
        var dataset = storage.Resolve(storage.NewDatasetPath(tenant, stale, DatasetFormat.Csv));
        foreach (var file in new[] { stalePath, recentPath, dataset })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "x");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        }

        File.SetLastWriteTimeUtc(recentPath, DateTime.UtcNow);
        Assert.Equal(1, storage.DeleteStaleChecks(DateTime.UtcNow.AddHours(-1)));
        Assert.False(File.Exists(stalePath));
        Assert.True(File.Exists(recentPath));
        Assert.True(File.Exists(dataset)); // only checks' files
    }

    private async Task<(ValidationReport Report, string Path)> CheckAsync(string csv, int chunkRows)
    {
        var file = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(file, csv);
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".rows");
        using var reader = await TabularFile.OpenAsync(file, DatasetFormat.Csv, new UploadOptions());
        await using var writer = CheckedRowsFile.Create(path, chunkRows);
        var report = await DatasetValidator.ValidateAsync(reader, _diabetes, null, 10, null, writer, CancellationToken.None);
        await writer.CompleteAsync("check", CancellationToken.None);
        return (report, path);
    }

    private static TemplateManifest Manifest(string id) => TemplatePacks.Manifest(id);

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
