using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Datasets;
using Portal.Core.Quotas;
using Portal.Core.Runs;
using Portal.Core.Templates;

namespace Portal.Web.Tests.Runs;

/// <summary>Datasets and batch runs through the real HTTP pipeline and the real background worker.</summary>
public sealed class RunApiTests : IClassFixture<RunApiTests.Factory>
{
    private readonly Factory _factory;

    public RunApiTests(Factory factory) => _factory = factory;

    /// <summary>The web host with a quick-polling worker and small chunks, so that progress and cancellation are visible.</summary>
    public sealed class Factory : IAsyncLifetime
    {
        public PortalWebFactory Web { get; } = new();

        public Task InitializeAsync()
        {
            Web.Settings["Portal:Runs:PollInterval"] = "00:00:00.200";
            Web.Settings["Portal:Runs:ChunkRows"] = "1024";
            // Progress every 50 ms (not after every chunk: writing the database that often made a cancel wait for its lock).
            Web.Settings["Portal:Runs:ProgressInterval"] = "00:00:00.050";
            _ = Web.Server;
            return Task.CompletedTask;
        }

        public async Task DisposeAsync() => await Web.DisposeAsync();
    }

    private async Task<Guid> TenantOfAsync(string datasetId)
    {
        await using var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        return db.Datasets.Single(d => d.Id == Guid.Parse(datasetId)).TenantId;
    }

    internal static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root was not found.");
    }

    internal static string DataFile(string name) => Path.Combine(Repository(), "src", "Portal.Training", "Data", name, name + ".csv");

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static MultipartFormDataContent Multipart(byte[] content, string fileName, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", fileName);
        return form;
    }

    private static async Task<long> UsedAsync(HttpClient client, QuotaMetric metric)
    {
        var me = await JsonAsync(await client.GetAsync("/api/v1/me"));
        return me.GetProperty("quota").GetProperty("user").EnumerateArray()
            .Single(l => l.GetProperty("metric").GetString() == metric.ToString()).GetProperty("used").GetInt64();
    }

    /// <summary>
    /// PredictionRows used since <paramref name="before"/>, once it reaches <paramref name="expected"/> or 5 s pass: a worker
    /// marks the run finished first and settles the charge right after (so that a crash in between cannot charge twice).
    /// </summary>
    private static async Task<long> ChargedSinceAsync(HttpClient client, long before, long expected)
    {
        var watch = Stopwatch.StartNew();
        long charged;
        while ((charged = await UsedAsync(client, QuotaMetric.PredictionRows) - before) < expected && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        return charged;
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient client, string runId, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var run = await JsonAsync(await client.GetAsync($"/api/v1/runs/{runId}"));
            if (until(run))
            {
                return run;
            }

            Assert.True(watch.Elapsed < timeout, $"Timed out; the run is {run}");
            await Task.Delay(50);
        }
    }

    /// <summary>Finished and charged: the worker marks a run finished first, then settles rows and the results' storage.</summary>
    private static bool Finished(JsonElement run) =>
        run.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled" && run.GetProperty("resultsBytes").ValueKind == JsonValueKind.Number;

    private static List<string[]> ParseCsv(string csv) =>
        [.. csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("# ", StringComparison.Ordinal) && !l.StartsWith("\uFEFF# ", StringComparison.Ordinal)).Select(l => l.TrimEnd('\r').Split(','))];

    [Fact]
    public async Task The_credit_data_sets_own_file_runs_end_to_end_and_its_results_equal_the_predict_api()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var storageBefore = await UsedAsync(client, QuotaMetric.StorageBytes);
        var rowsBefore = await UsedAsync(client, QuotaMetric.PredictionRows);
        var bytes = await File.ReadAllBytesAsync(DataFile("german-credit"));

        var upload = await client.PostAsync("/api/v1/datasets", Multipart(bytes, "german-credit.csv"));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var dataset = await JsonAsync(upload);
        Assert.Equal(800, dataset.GetProperty("rows").GetInt32());
        Assert.Equal(bytes.Length, dataset.GetProperty("sizeBytes").GetInt64());
        var columns = dataset.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("kind").GetString());
        Assert.Equal("Number", columns["credit_amount"]);
        Assert.Equal("Text", columns["checking_account"]);
        Assert.Equal(bytes.Length, await UsedAsync(client, QuotaMetric.StorageBytes) - storageBefore);

        var start = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = "finance-credit-risk", datasetId = dataset.GetProperty("id").GetString() });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var runId = (await JsonAsync(start)).GetProperty("id").GetString()!;
        Assert.EndsWith($"/api/v1/runs/{runId}", start.Headers.Location!.ToString(), StringComparison.Ordinal);

        var run = await WaitForAsync(client, runId, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", run.GetProperty("state").GetString());
        Assert.Equal(800, run.GetProperty("rowsDone").GetInt32());
        Assert.Equal(800, run.GetProperty("charged").GetInt64());
        Assert.Equal("credit_risk", run.GetProperty("labelColumn").GetString());
        Assert.Equal(800, run.GetProperty("labelledRows").GetInt32());
        var auc = run.GetProperty("metrics").GetProperty("auc").GetDouble();
        Assert.InRange(auc, 0.75, 1.0);
        Assert.Equal(800, await ChargedSinceAsync(client, rowsBefore, 800));

        var csv = await client.GetStringAsync($"/api/v1/runs/{runId}/results");
        Assert.Contains("# template: finance-credit-risk", csv, StringComparison.Ordinal);
        Assert.Contains("# by: member@hospital.demo", csv, StringComparison.Ordinal);
        var table = ParseCsv(csv);
        var header = table[0];
        Assert.Equal("row", header[0]);
        Assert.Equal(["prediction", "probability", "credit_risk"], header[^3..]);
        Assert.Equal(801, table.Count);
        Assert.Equal(Enumerable.Range(1, 800).Select(i => i.ToString(CultureInfo.InvariantCulture)), table.Skip(1).Select(r => r[0]));

        // The same rows through the predict API give the same probabilities.
        var source = File.ReadAllLines(DataFile("german-credit"));
        var names = source[0].Split(',');
        var rows = source.Skip(1).Take(5).Select(l => names.Zip(l.Split(',')).Where(p => p.First != "credit_risk").ToDictionary(p => p.First, p => p.Second)).ToList();
        var predicted = await JsonAsync(await client.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", new { rows }));
        for (var i = 0; i < 5; i++)
        {
            var p = predicted.GetProperty("predictions")[i];
            Assert.Equal(p.GetProperty("probability").GetDouble(), double.Parse(table[i + 1][^2], CultureInfo.InvariantCulture), 6);
            Assert.Equal(p.GetProperty("label").GetString(), table[i + 1][^3]);
        }

        var xlsx = await client.GetAsync($"/api/v1/runs/{runId}/results?format=xlsx");
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType!.MediaType);
        var path = Path.Combine(Path.GetTempPath(), $"results-{Guid.NewGuid():N}.xlsx");
        await File.WriteAllBytesAsync(path, await xlsx.Content.ReadAsByteArrayAsync());
        try
        {
            using var reader = await TabularFile.OpenAsync(path, DatasetFormat.Xlsx, new UploadOptions());
            Assert.Equal(header, reader.Header);
            var count = 0;
            while (await reader.ReadAsync())
            {
                count++;
            }

            Assert.Equal(800, count);
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            using var workbook = new StreamReader(zip.GetEntry("xl/workbook.xml")!.Open());
            Assert.Contains("name=\"Summary\"", await workbook.ReadToEndAsync(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }

        var list = await JsonAsync(await client.GetAsync("/api/v1/runs"));
        Assert.Contains(list.GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetString() == runId);
    }

    [Fact]
    public async Task A_multipart_run_scores_the_valid_rows_and_the_error_file_lists_the_others()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var lines = File.ReadAllLines(Path.Combine(Repository(), "src", "Portal.Templates", "medical-breast-cancer", "sample.csv")).ToList();
        var header = lines[0].Split(',');
        var radius = Array.IndexOf(header, "radius_mean");
        string Replace(string line, string value)
        {
            var cells = line.Split(',');
            cells[radius] = value;
            return string.Join(',', cells);
        }

        lines[2] = Replace(lines[2], "big");        // row 2: not a number
        lines[5] = Replace(lines[5], "900");        // row 5: out of range
        lines[7] = string.Join(',', lines[7].Split(',')[..5]); // row 7: ragged
        var content = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        var total = lines.Count - 1;

        var start = await client.PostAsync("/api/v1/runs", Multipart(content, "tumours.csv", ("templateId", "medical-breast-cancer")));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var queued = await JsonAsync(start);
        Assert.Equal(total - 3, queued.GetProperty("rowsTotal").GetInt32());
        Assert.Equal(3, queued.GetProperty("rowsInvalid").GetInt32());
        var run = await WaitForAsync(client, queued.GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", run.GetProperty("state").GetString());
        Assert.Equal(total - 3, run.GetProperty("rowsDone").GetInt32());
        var datasetId = run.GetProperty("datasetId").GetString();

        var report = await JsonAsync(await client.PostAsJsonAsync($"/api/v1/datasets/{datasetId}/validation", new { templateId = "medical-breast-cancer" }));
        Assert.Equal(total, report.GetProperty("totalRows").GetInt32());
        Assert.Equal(3, report.GetProperty("invalidRows").GetInt32());
        Assert.Equal([2, 5, 7], report.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("row").GetInt32()));

        var errors = await client.GetStringAsync($"/api/v1/datasets/{datasetId}/errors.csv?templateId=medical-breast-cancer");
        var errorLines = errors.TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,column,message", errorLines[0].TrimEnd('\r'));
        Assert.StartsWith("2,radius_mean,'big' is not a number", errorLines[1], StringComparison.Ordinal);
        Assert.StartsWith("5,radius_mean,900 is outside the allowed range", errorLines[2], StringComparison.Ordinal);
        Assert.StartsWith("7,,The row has 5 cells but the header has", errorLines[3], StringComparison.Ordinal);

        var results = ParseCsv(await client.GetStringAsync($"/api/v1/runs/{run.GetProperty("id").GetString()}/results"));
        Assert.DoesNotContain(results.Skip(1), r => r[0] is "2" or "5" or "7");
    }

    [Fact]
    public async Task Missing_columns_are_named_and_a_manual_mapping_fixes_them()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var lines = File.ReadAllLines(Path.Combine(Repository(), "src", "Portal.Templates", "medical-diabetes-progression", "sample.csv"));
        lines[0] = lines[0].Replace("bmi", "Body Mass Index", StringComparison.Ordinal).Replace("age", " AGE ", StringComparison.Ordinal);
        var dataset = await JsonAsync(await client.PostAsync("/api/v1/datasets", Multipart(Encoding.UTF8.GetBytes(string.Join('\n', lines)), "renamed.csv")));
        var id = dataset.GetProperty("id").GetString();

        var refused = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = "medical-diabetes-progression", datasetId = id });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await JsonAsync(refused);
        Assert.Equal(["bmi"], problem.GetProperty("missingColumns").EnumerateArray().Select(c => c.GetString()));

        var mapped = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = "medical-diabetes-progression", datasetId = id, mapping = new Dictionary<string, string> { ["bmi"] = "Body Mass Index" } });
        Assert.Equal(HttpStatusCode.Accepted, mapped.StatusCode);
        var run = await WaitForAsync(client, (await JsonAsync(mapped)).GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", run.GetProperty("state").GetString());
        Assert.Equal("AGE", run.GetProperty("mapping").GetProperty("age").GetString()); // matched ignoring case and spaces
        Assert.True(run.GetProperty("metrics").GetProperty("rmse").GetDouble() > 0);
    }

    /// <summary>
    /// Starting a run right after the dataset was checked against the template uses that check's report instead of
    /// reading and checking the file again (a 1,000,000-row file took 0.8 s more to start), and the run scores the valid
    /// rows the check kept, and gives them back when it finishes; a start with another mapping checks again. Shown by
    /// changing the stored file after the check: the first run and the same start again count and score the rows the
    /// check found, the run with a mapping the file as it now is. No run holds checked rows once done, and each run is
    /// charged its results' size on disk.
    /// </summary>
    [Fact]
    public async Task Starting_a_run_right_after_its_check_uses_that_report_and_another_mapping_checks_again()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        const string template = "medical-diabetes-progression";
        var lines = File.ReadAllLines(Path.Combine(Repository(), "src", "Portal.Templates", template, "sample.csv"));
        var id = (await JsonAsync(await client.PostAsync("/api/v1/datasets", Multipart(Encoding.UTF8.GetBytes(string.Join('\n', lines)), "checked.csv"))))
            .GetProperty("id").GetString()!;
        var check = await JsonAsync(await client.PostAsJsonAsync($"/api/v1/datasets/{id}/validation", new { templateId = template }));
        Assert.Equal(lines.Length - 1, check.GetProperty("validRows").GetInt32());

        await using (var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var stored = _factory.Web.Services.GetRequiredService<DatasetStorage>().Resolve(db.Datasets.Single(d => d.Id == Guid.Parse(id)).StoredPath);
            await File.WriteAllLinesAsync(stored, lines.Take(3));
        }

        var started = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = template, datasetId = id });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var first = await JsonAsync(started);
        Assert.Equal(lines.Length - 1, first.GetProperty("rowsTotal").GetInt32());
        var firstDone = await WaitForAsync(client, first.GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal(("Succeeded", lines.Length - 1), (firstDone.GetProperty("state").GetString(), firstDone.GetProperty("rowsDone").GetInt32()));
        var results = ParseCsv(await client.GetStringAsync($"/api/v1/runs/{first.GetProperty("id").GetString()}/results"));
        Assert.Equal(lines.Length, results.Count); // header and every row the check found, not the 2 the file now has

        // The finished run gave the rows back to the dataset: the same start again scores them too.
        var storage = _factory.Web.Services.GetRequiredService<DatasetStorage>();
        var tenant = await TenantOfAsync(id);
        var checkedRows = storage.Resolve(storage.CheckedRowsPath(tenant, Guid.Parse(id)));
        Assert.True(File.Exists(checkedRows));
        var again = await JsonAsync(await client.PostAsJsonAsync("/api/v1/runs", new { templateId = template, datasetId = id }));
        var againDone = await WaitForAsync(client, again.GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal(("Succeeded", lines.Length - 1), (againDone.GetProperty("state").GetString(), againDone.GetProperty("rowsDone").GetInt32()));

        var mapped = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = template, datasetId = id, mapping = new Dictionary<string, string> { ["bmi"] = "bmi" } });
        Assert.Equal(HttpStatusCode.Accepted, mapped.StatusCode);
        var second = await JsonAsync(mapped);
        Assert.Equal(2, second.GetProperty("rowsTotal").GetInt32());
        var secondDone = await WaitForAsync(client, second.GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal(2, secondDone.GetProperty("rowsDone").GetInt32());

        // The runs held the checks' rows only while they ran (the last run's are back with the dataset); what each is
        // charged is its results on disk.
        Assert.True(File.Exists(checkedRows));
        await using (var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var resultsStore = _factory.Web.Services.GetRequiredService<RunResultsStore>();
            foreach (var done in new[] { firstDone, againDone, secondDone })
            {
                var run = db.Runs.Single(r => r.Id == Guid.Parse(done.GetProperty("id").GetString()!));
                Assert.False(File.Exists(resultsStore.InputPathOf(run)));
                Assert.Equal(resultsStore.SizeOf(run), done.GetProperty("resultsBytes").GetInt64());
            }
        }
    }

    /// <summary>
    /// A run whose check's rows are gone (queued by an earlier version, or the file was swept) reads and checks the
    /// dataset's file itself, with the same results.
    /// </summary>
    [Fact]
    public async Task A_run_whose_checked_rows_are_gone_reads_the_file_with_the_same_results()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        const string template = "medical-diabetes-progression";
        var sample = await File.ReadAllBytesAsync(Path.Combine(Repository(), "src", "Portal.Templates", template, "sample.csv"));
        var id = (await JsonAsync(await client.PostAsync("/api/v1/datasets", Multipart(sample, "twice.csv")))).GetProperty("id").GetString()!;
        var withRows = await JsonAsync(await client.PostAsJsonAsync("/api/v1/runs", new { templateId = template, datasetId = id }));
        await WaitForAsync(client, withRows.GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));

        await JsonAsync(await client.PostAsJsonAsync($"/api/v1/datasets/{id}/validation", new { templateId = template }));
        await using (var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var storage = _factory.Web.Services.GetRequiredService<DatasetStorage>();
            var rows = storage.Resolve(storage.CheckedRowsPath(db.Datasets.Single(d => d.Id == Guid.Parse(id)).TenantId, Guid.Parse(id)));
            Assert.True(File.Exists(rows));
            File.Delete(rows);
        }

        var withoutRows = await JsonAsync(await client.PostAsJsonAsync("/api/v1/runs", new { templateId = template, datasetId = id }));
        var done = await WaitForAsync(client, withoutRows.GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", done.GetProperty("state").GetString());
        var expected = ParseCsv(await client.GetStringAsync($"/api/v1/runs/{withRows.GetProperty("id").GetString()}/results"));
        Assert.Equal(File.ReadAllLines(Path.Combine(Repository(), "src", "Portal.Templates", template, "sample.csv")).Length, expected.Count);
        Assert.Equal(expected, ParseCsv(await client.GetStringAsync($"/api/v1/runs/{withoutRows.GetProperty("id").GetString()}/results")));
    }

    [Fact]
    public async Task A_run_whose_file_breaks_fails_with_its_reason_in_English_over_the_API_and_in_Chinese_on_a_Chinese_run_page()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        const string template = "medical-diabetes-progression";
        var lines = File.ReadAllLines(Path.Combine(Repository(), "src", "Portal.Templates", template, "sample.csv"));
        var id = (await JsonAsync(await client.PostAsync("/api/v1/datasets", Multipart(Encoding.UTF8.GetBytes(string.Join('\n', lines)), "breaks.csv"))))
            .GetProperty("id").GetString()!;
        await JsonAsync(await client.PostAsJsonAsync($"/api/v1/datasets/{id}/validation", new { templateId = template }));

        // The file changes on disk after its check (the run starts from the check's report): a quote on line 3 never
        // closes; and the rows the check kept are gone, so the run reads the file.
        await using (var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var dataset = db.Datasets.Single(d => d.Id == Guid.Parse(id));
            var storage = _factory.Web.Services.GetRequiredService<DatasetStorage>();
            await File.WriteAllTextAsync(storage.Resolve(dataset.StoredPath), string.Join('\n', lines.Take(2)) + "\n\"59,2" + string.Join('\n', lines.Skip(2)));
            File.Delete(storage.Resolve(storage.CheckedRowsPath(dataset.TenantId, dataset.Id)));
        }

        var started = await JsonAsync(await client.PostAsJsonAsync("/api/v1/runs", new { templateId = template, datasetId = id }));
        var runId = started.GetProperty("id").GetString()!;
        var run = await WaitForAsync(client, runId, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal("Failed", run.GetProperty("state").GetString());
        Assert.Equal("A quote opened on line 3 is never closed, so the rest of the file would be one cell.", run.GetProperty("error").GetString());

        var browser = _factory.Web.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        browser.DefaultRequestHeaders.Add("Cookie", ".AspNetCore.Culture=c=zh-CN|uic=zh-CN");
        Assert.Equal(HttpStatusCode.Redirect, (await PortalWebFactory.LogInAsync(browser, "member@hospital.demo")).StatusCode);
        var page = WebUtility.HtmlDecode(await browser.GetStringAsync($"/runs/{runId}"));
        Assert.Contains("第 3 行开始的引号没有闭合，文件的其余部分会变成一个单元格。", page, StringComparison.Ordinal);
        Assert.DoesNotContain("never closed", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_uploads_get_a_problem_and_nothing_is_kept_or_charged()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var before = await UsedAsync(client, QuotaMetric.StorageBytes);
        var cases = new (byte[] Content, string Name, HttpStatusCode Status, string Detail)[]
        {
            ([], "empty.csv", HttpStatusCode.BadRequest, "The file is empty."),
            ("a,b,c\n"u8.ToArray(), "header.csv", HttpStatusCode.BadRequest, "The file has a header but no data rows."),
            ([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0], "program.csv", HttpStatusCode.BadRequest, "binary file"),
            ("a,b\n1,2\n"u8.ToArray(), "notes.docx", HttpStatusCode.BadRequest, "files; 'notes.docx' is none of them"),
        };
        foreach (var (content, name, status, detail) in cases)
        {
            var response = await client.PostAsync("/api/v1/datasets", Multipart(content, name));
            Assert.True(status == response.StatusCode, await response.Content.ReadAsStringAsync());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains(detail, (await JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, await UsedAsync(client, QuotaMetric.StorageBytes));
        var storage = _factory.Web.Services.GetRequiredService<DatasetStorage>();
        var files = Directory.Exists(storage.Root) ? Directory.GetFiles(storage.Root, "*", SearchOption.AllDirectories) : [];
        await using var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var kept = db.Datasets.Select(d => d.StoredPath).AsEnumerable().Select(storage.Resolve).ToHashSet();
        Assert.All(files.Where(f => f.Contains($"{Path.DirectorySeparatorChar}datasets{Path.DirectorySeparatorChar}", StringComparison.Ordinal)), f => Assert.Contains(f, kept));
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_refused_while_streaming()
    {
        await using var small = new PortalWebFactory();
        small.Settings["Portal:Uploads:MaxBytes"] = "1000";
        var client = small.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var big = Encoding.UTF8.GetBytes("a,b\n" + string.Concat(Enumerable.Repeat("1,2\n", 1000)));
        var response = await client.PostAsync("/api/v1/datasets", Multipart(big, "big.csv"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("upload limit", (await JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var storage = small.Services.GetRequiredService<DatasetStorage>();
        Assert.Empty(Directory.Exists(storage.Root) ? Directory.GetFiles(storage.Root, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Another_tenants_datasets_and_runs_answer_404()
    {
        var hospital = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var bank = _factory.Web.CreateApiClient(PortalWebFactory.BankAdminKey);
        var sample = await File.ReadAllBytesAsync(Path.Combine(Repository(), "src", "Portal.Templates", "medical-diabetes-progression", "sample.csv"));
        var start = await JsonAsync(await hospital.PostAsync("/api/v1/runs", Multipart(sample, "d.csv", ("templateId", "medical-diabetes-progression"))));
        var runId = start.GetProperty("id").GetString();
        var datasetId = start.GetProperty("datasetId").GetString();
        await WaitForAsync(hospital, runId!, Finished, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.NotFound, (await bank.GetAsync($"/api/v1/runs/{runId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bank.GetAsync($"/api/v1/runs/{runId}/results")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bank.DeleteAsync($"/api/v1/runs/{runId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bank.DeleteAsync($"/api/v1/runs/{runId}/results")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bank.GetAsync($"/api/v1/datasets/{datasetId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bank.DeleteAsync($"/api/v1/datasets/{datasetId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bank.PostAsJsonAsync($"/api/v1/datasets/{datasetId}/validation", new { templateId = "medical-diabetes-progression" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bank.PostAsJsonAsync("/api/v1/runs", new { templateId = "medical-diabetes-progression", datasetId })).StatusCode);
        Assert.DoesNotContain((await JsonAsync(await bank.GetAsync("/api/v1/runs"))).GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetString() == runId);
        Assert.DoesNotContain((await JsonAsync(await bank.GetAsync("/api/v1/datasets"))).EnumerateArray(), d => d.GetProperty("id").GetString() == datasetId);

        // The hospital's tenant admin sees the member's run; the owner can delete the dataset and gets the storage back.
        var admin = _factory.Web.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/runs/{runId}")).StatusCode);
        var storage = await UsedAsync(hospital, QuotaMetric.StorageBytes);
        Assert.Equal(HttpStatusCode.NoContent, (await hospital.DeleteAsync($"/api/v1/datasets/{datasetId}")).StatusCode);
        Assert.Equal(storage - sample.Length, await UsedAsync(hospital, QuotaMetric.StorageBytes));
        Assert.Equal(HttpStatusCode.OK, (await hospital.GetAsync($"/api/v1/runs/{runId}/results")).StatusCode);
    }

    [Fact]
    public async Task Deleting_a_runs_results_removes_its_files_and_keeps_the_run_in_the_history()
    {
        var member = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var sample = await File.ReadAllBytesAsync(Path.Combine(Repository(), "src", "Portal.Templates", "medical-breast-cancer", "sample.csv"));
        var storageBefore = await UsedAsync(member, QuotaMetric.StorageBytes);
        var runId = (await JsonAsync(await member.PostAsync("/api/v1/runs", Multipart(sample, "b.csv", ("templateId", "medical-breast-cancer"))))).GetProperty("id").GetString()!;
        var finished = await WaitForAsync(member, runId, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync($"/api/v1/runs/{runId}/results")).StatusCode);
        var results = _factory.Web.Services.GetRequiredService<RunResultsStore>();
        await using (var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var path = results.PathOf(db.Runs.Single(r => r.Id == Guid.Parse(runId)));
            var files = Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "*");
            Assert.Contains(path, files);
            Assert.Contains(RunResultsFile.DataPathOf(path), files);

            // Finished results are one plain SQLite file (no write-ahead log), readable from another node over a shared volume.
            Assert.DoesNotContain(path + "-wal", files);
            await using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False"))
            {
                await raw.OpenAsync();
                await using var mode = raw.CreateCommand();
                mode.CommandText = "PRAGMA journal_mode;";
                Assert.Equal("delete", (string?)await mode.ExecuteScalarAsync());
            }

            // The results are stored data of the owner: their size on disk is charged as StorageBytes, beside the upload.
            var resultsBytes = finished.GetProperty("resultsBytes").GetInt64();
            Assert.Equal(new FileInfo(path).Length + new FileInfo(RunResultsFile.DataPathOf(path)).Length, resultsBytes);
            Assert.Equal(storageBefore + sample.Length + resultsBytes, await UsedAsync(member, QuotaMetric.StorageBytes));

            // The tenant admin (not the owner) deletes them.
            var admin = _factory.Web.CreateApiClient(PortalWebFactory.HospitalAdminKey);
            var deleted = await admin.DeleteAsync($"/api/v1/runs/{runId}/results");
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
            Assert.NotEqual(JsonValueKind.Null, (await JsonAsync(deleted)).GetProperty("resultsDeletedAt").ValueKind);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "*"));
            Assert.Single(db.AuditEntries.Where(a => a.Action == "run.results.deleted" && a.Target == runId));

            // Their bytes go back to the member who owned them, not to the admin who deleted them.
            Assert.Equal(storageBefore + sample.Length, await UsedAsync(member, QuotaMetric.StorageBytes));
        }

        var gone = await member.GetAsync($"/api/v1/runs/{runId}/results");
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Contains("were deleted", (await JsonAsync(gone)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var run = await JsonAsync(await member.GetAsync($"/api/v1/runs/{runId}"));
        Assert.Equal(finished.GetProperty("rowsDone").GetInt32(), run.GetProperty("rowsDone").GetInt32());
        Assert.Equal(finished.GetProperty("charged").GetInt64(), run.GetProperty("charged").GetInt64());
        Assert.Equal(JsonValueKind.Object, run.GetProperty("metrics").ValueKind);
        Assert.Equal(0, run.GetProperty("resultsBytes").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await member.DeleteAsync($"/api/v1/runs/{runId}/results")).StatusCode); // again: nothing left, no error
        Assert.Equal(storageBefore + sample.Length, await UsedAsync(member, QuotaMetric.StorageBytes)); // and nothing credited twice
    }

    [Fact]
    public async Task A_run_whose_results_would_not_fit_the_storage_quota_is_refused_up_front_and_holds_nothing()
    {
        await using var factory = new PortalWebFactory(); // its own database: the limit set here stays out of the other tests
        var client = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var bytes = await File.ReadAllBytesAsync(DataFile("german-credit"));
        var dataset = await JsonAsync(await client.PostAsync("/api/v1/datasets", Multipart(bytes, "credit.csv")));
        var storage = await UsedAsync(client, QuotaMetric.StorageBytes);
        var rows = await UsedAsync(client, QuotaMetric.PredictionRows);
        await using (var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var user = db.Users.Single(u => u.Email == "member@hospital.demo");
            db.QuotaLimits.Add(new QuotaLimit { TenantId = user.TenantId, Scope = QuotaScope.User, SubjectId = user.Id, Metric = QuotaMetric.StorageBytes, PeriodLimit = storage + 10_000 });
            await db.SaveChangesAsync();
        }

        var response = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = "finance-credit-risk", datasetId = dataset.GetProperty("id").GetString() });
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var problem = await JsonAsync(response);
        Assert.Equal("StorageBytes", problem.GetProperty("metric").GetString());
        Assert.True(problem.GetProperty("requested").GetInt64() > 10_000, problem.ToString());
        Assert.DoesNotContain((await JsonAsync(await client.GetAsync("/api/v1/runs"))).GetProperty("items").EnumerateArray(), r => r.GetProperty("datasetId").GetString() == dataset.GetProperty("id").GetString());
        Assert.Equal(rows, await UsedAsync(client, QuotaMetric.PredictionRows));
        Assert.Equal(storage, await UsedAsync(client, QuotaMetric.StorageBytes));
        await using (var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            Assert.Empty(db.QuotaReservations.Where(r => r.UserId == db.Users.Single(u => u.Email == "member@hospital.demo").Id)); // the rows' reservation was returned too
        }
    }

    /// <summary>
    /// The checked rows a run holds are reserved as storage, but they only save reading the file again: a run whose
    /// results fit the storage quota and whose rows do not is not refused; it leaves the rows with the dataset and
    /// reads the file.
    /// </summary>
    [Fact]
    public async Task A_run_with_room_for_its_results_but_not_its_checked_rows_reads_the_file_instead_of_being_refused()
    {
        await using var factory = new PortalWebFactory(); // its own database: the limit set here stays out of the other tests
        var client = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var bytes = await File.ReadAllBytesAsync(DataFile("german-credit"));
        var id = (await JsonAsync(await client.PostAsync("/api/v1/datasets", Multipart(bytes, "credit.csv")))).GetProperty("id").GetString()!;
        await JsonAsync(await client.PostAsJsonAsync($"/api/v1/datasets/{id}/validation", new { templateId = "finance-credit-risk" }));
        var storage = factory.Services.GetRequiredService<DatasetStorage>();
        var manifest = factory.Services.GetRequiredService<ITemplateCatalog>().Find("finance-credit-risk")!.Manifest;
        var resultsEstimate = RunResultsFile.EstimateBytes(manifest, 800, labelled: true);
        string checkedRows;
        await using (var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var user = db.Users.Single(u => u.Email == "member@hospital.demo");
            checkedRows = storage.Resolve(storage.CheckedRowsPath(user.TenantId, Guid.Parse(id)));
            Assert.True(new FileInfo(checkedRows).Length > 1_000, "the check kept its rows"); // about 55 KB for the 800 rows
            var used = await UsedAsync(client, QuotaMetric.StorageBytes);
            db.QuotaLimits.Add(new QuotaLimit { TenantId = user.TenantId, Scope = QuotaScope.User, SubjectId = user.Id, Metric = QuotaMetric.StorageBytes, PeriodLimit = used + resultsEstimate + 1_000 });
            await db.SaveChangesAsync();
        }

        var response = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = "finance-credit-risk", datasetId = id });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(File.Exists(checkedRows)); // left with the dataset
        var run = await WaitForAsync(client, (await JsonAsync(response)).GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
        Assert.Equal(("Succeeded", 800), (run.GetProperty("state").GetString(), run.GetProperty("rowsDone").GetInt32()));
    }

    [Fact]
    public async Task A_run_the_quota_cannot_cover_is_refused_up_front_and_nothing_is_queued()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.BankAdminKey);
        await using (var db = _factory.Web.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var user = db.Users.Single(u => u.Email == "admin@bank.demo");
            db.QuotaLimits.Add(new QuotaLimit { TenantId = user.TenantId, Scope = QuotaScope.User, SubjectId = user.Id, Metric = QuotaMetric.PredictionRows, PeriodLimit = 100 });
            await db.SaveChangesAsync();
        }

        var bytes = await File.ReadAllBytesAsync(DataFile("german-credit"));
        var dataset = await JsonAsync(await client.PostAsync("/api/v1/datasets", Multipart(bytes, "credit.csv")));
        var response = await client.PostAsJsonAsync("/api/v1/runs", new { templateId = "finance-credit-risk", datasetId = dataset.GetProperty("id").GetString() });
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var problem = await JsonAsync(response);
        Assert.Equal(800, problem.GetProperty("requested").GetInt64());
        Assert.Equal(100, problem.GetProperty("limit").GetInt64());
        Assert.Equal(0, (await JsonAsync(await client.GetAsync("/api/v1/runs"))).GetProperty("total").GetInt32());
        Assert.Equal(0, await UsedAsync(client, QuotaMetric.PredictionRows));
    }

    [Fact]
    public async Task Cancelling_a_running_run_takes_effect_within_a_second_and_charges_only_the_rows_scored()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalAdminKey);
        var rowsBefore = await UsedAsync(client, QuotaMetric.PredictionRows);
        var source = File.ReadAllLines(DataFile("german-credit"));
        var text = new StringBuilder(source[0]).Append('\n');
        for (var i = 0; i < 300_000; i++)
        {
            text.Append(source[1 + i % (source.Length - 1)]).Append('\n');
        }

        var start = await client.PostAsync("/api/v1/runs", Multipart(Encoding.UTF8.GetBytes(text.ToString()), "many.csv", ("templateId", "finance-credit-risk")));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var runId = (await JsonAsync(start)).GetProperty("id").GetString()!;
        await WaitForAsync(client, runId, r => r.GetProperty("rowsDone").GetInt32() > 0 || Finished(r), TimeSpan.FromSeconds(60));
        var busy = await client.DeleteAsync($"/api/v1/runs/{runId}/results");
        Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
        Assert.Contains("cancel it first", (await JsonAsync(busy)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        // "Takes effect" is the run stopped and recorded as cancelled (its finish time, on the server's clock, which is this
        // process's); how soon this test's polling notices is not part of it.
        var sent = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/runs/{runId}")).StatusCode);
        var run = await WaitForAsync(client, runId, Finished, TimeSpan.FromSeconds(5));
        var took = run.GetProperty("finishedAt").GetDateTimeOffset() - sent;
        Assert.True(took < TimeSpan.FromSeconds(1), $"Cancelling took {took.TotalMilliseconds:F0} ms");
        Assert.Equal("Cancelled", run.GetProperty("state").GetString());
        var done = run.GetProperty("rowsDone").GetInt32();
        Assert.InRange(done, 1, 299_999);
        Assert.Equal(done, run.GetProperty("charged").GetInt64());
        Assert.Equal(done, await ChargedSinceAsync(client, rowsBefore, done));
        var results = ParseCsv(await client.GetStringAsync($"/api/v1/runs/{runId}/results"));
        Assert.Equal(done, results.Count - 1);
    }

    [Theory]
    [InlineData("medical-breast-cancer")]
    [InlineData("medical-diabetes-progression")]
    [InlineData("finance-credit-risk")]
    [InlineData("education-student-performance")]
    public async Task Each_templates_sample_runs_from_csv_xlsx_and_json_lines_with_the_same_results(string templateId)
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var lines = File.ReadAllLines(Path.Combine(Repository(), "src", "Portal.Templates", templateId, "sample.csv")).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        var records = lines.Skip(1).Select(l => l.Split(',')).ToList();

        // The same rows as an Excel workbook (numbers as number cells) and as JSON lines.
        using var xlsx = new MemoryStream();
        await using (var writer = await XlsxWriter.CreateAsync(xlsx, CancellationToken.None))
        {
            await writer.BeginSheetAsync("Data", CancellationToken.None);
            await writer.WriteRowAsync(header);
            foreach (var record in records)
            {
                await writer.WriteRowAsync(record.Select(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (object)d : c));
            }
        }

        var jsonl = string.Join('\n', records.Select(r => JsonSerializer.Serialize(header.Zip(r).ToDictionary(
            p => p.First, p => double.TryParse(p.Second, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (object)d : p.Second))));

        var probabilities = new List<string[]>();
        foreach (var (content, name) in new[] { (Encoding.UTF8.GetBytes(string.Join('\n', lines)), "sample.csv"), (xlsx.ToArray(), "sample.xlsx"), (Encoding.UTF8.GetBytes(jsonl), "sample.jsonl") })
        {
            var start = await client.PostAsync("/api/v1/runs", Multipart(content, name, ("templateId", templateId)));
            Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
            var run = await WaitForAsync(client, (await JsonAsync(start)).GetProperty("id").GetString()!, Finished, TimeSpan.FromSeconds(60));
            Assert.Equal("Succeeded", run.GetProperty("state").GetString());
            Assert.Equal(records.Count, run.GetProperty("rowsDone").GetInt32());
            Assert.Equal(records.Count, run.GetProperty("labelledRows").GetInt32());
            var table = ParseCsv(await client.GetStringAsync($"/api/v1/runs/{run.GetProperty("id").GetString()}/results"));
            var scoreColumn = Array.IndexOf(table[0], table[0].Contains("probability") ? "probability" : "value");
            probabilities.Add([.. table.Skip(1).Select(r => r[scoreColumn])]);
        }

        Assert.Equal(probabilities[0], probabilities[1]);
        Assert.Equal(probabilities[0], probabilities[2]);
    }

    [Fact]
    public async Task A_dataset_can_be_renamed_and_runs_keep_the_name_they_were_made_with()
    {
        var client = _factory.Web.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var sample = await File.ReadAllBytesAsync(Path.Combine(Repository(), "src", "Portal.Templates", "medical-breast-cancer", "sample.csv"));
        var run = await JsonAsync(await client.PostAsync("/api/v1/runs", Multipart(sample, "tumours.csv", ("templateId", "medical-breast-cancer"))));
        var datasetId = run.GetProperty("datasetId").GetString();
        var renamed = await client.PatchAsJsonAsync($"/api/v1/datasets/{datasetId}", new { name = "Ward 3, March" });
        Assert.Equal("Ward 3, March", (await JsonAsync(renamed)).GetProperty("name").GetString());
        Assert.Equal("Ward 3, March", (await JsonAsync(await client.GetAsync($"/api/v1/datasets/{datasetId}"))).GetProperty("name").GetString());
        Assert.Equal("tumours", (await JsonAsync(await client.GetAsync($"/api/v1/runs/{run.GetProperty("id").GetString()}"))).GetProperty("datasetName").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PatchAsJsonAsync($"/api/v1/datasets/{datasetId}", new { name = "  " })).StatusCode);
    }
}
