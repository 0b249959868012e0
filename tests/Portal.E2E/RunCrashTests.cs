using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Portal.E2E;

/// <summary>A batch run survives SIGKILL of the portal process: the restarted portal resumes it, scores every row once and charges once.</summary>
public sealed class RunCrashTests
{
    private const string Key = "ptl_e2e-hospital-member-0123456789abcdef";
    private const int Rows = 200_000;

    [Fact]
    public async Task A_run_killed_mid_way_finishes_after_restart_with_every_row_scored_exactly_once()
    {
        await using var portal = new PortalProcess(Path.Combine(Path.GetTempPath(), "portal-e2e", Guid.NewGuid().ToString("N")), new Dictionary<string, string>
        {
            ["Portal:Demo:ApiKeys:member@hospital.demo"] = Key,
            ["Portal:Runs:Lease"] = "00:00:02",
            // Small chunks, each recording its progress, keep the run long enough (hundreds of commits) to be killed mid-way.
            ["Portal:Runs:ChunkRows"] = "1024",
            ["Portal:Runs:ProgressInterval"] = "00:00:00",
            ["Portal:Runs:PollInterval"] = "00:00:00.250",
        });
        await portal.StartAsync();
        using var client = Client(portal);

        using var form = new MultipartFormDataContent { { new StringContent("finance-credit-risk"), "templateId" } };
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(RepositoryPaths.Repeated("german-credit", Rows))), "file", "credit-200k.csv");
        var started = await client.PostAsync("/api/v1/runs", form);
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        var runId = (await JsonAsync(started)).GetProperty("id").GetString()!;

        var before = await WaitAsync(client, runId, r => r.GetProperty("rowsDone").GetInt32() >= 4096 || Finished(r), TimeSpan.FromSeconds(120), portal);
        var doneAtKill = before.GetProperty("rowsDone").GetInt32();
        Assert.True(doneAtKill < Rows, "The run finished before it could be killed; the test proves nothing.");
        await portal.KillAsync();

        await portal.StartAsync();
        using var after = Client(portal);
        var run = await WaitAsync(after, runId, Finished, TimeSpan.FromSeconds(180), portal);
        Assert.Equal("Succeeded", run.GetProperty("state").GetString());
        Assert.Equal(Rows, run.GetProperty("rowsDone").GetInt32());
        Assert.Equal(Rows, run.GetProperty("charged").GetInt64());
        Assert.Equal(2, run.GetProperty("attempts").GetInt32());
        Assert.Contains($"Run {runId} resumes after row", portal.Log(), StringComparison.Ordinal);
        // The restarted worker went on from the valid rows the start's check kept, not the file.
        var resumedAfter = System.Text.RegularExpressions.Regex.Match(portal.Log(), $"Run {runId} resumes after row (\\d+)").Groups[1].Value;
        Assert.True(int.Parse(resumedAfter, CultureInfo.InvariantCulture) >= doneAtKill, resumedAfter);
        Assert.Contains($"Run {runId} scores the rows its check kept, after row {resumedAfter}", portal.Log(), StringComparison.Ordinal);

        var rows = (await after.GetStringAsync($"/api/v1/runs/{runId}/results"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#') && !l.StartsWith("\uFEFF#", StringComparison.Ordinal))
            .Skip(1)
            .Select(l => int.Parse(l.AsSpan(0, l.IndexOf(',', StringComparison.Ordinal)), CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(Enumerable.Range(1, Rows), rows);

        // The worker marks the run finished, then settles its charge (so that a crash in between cannot charge twice).
        long used = 0;
        for (var watch = Stopwatch.StartNew(); used < Rows && watch.Elapsed < TimeSpan.FromSeconds(5); await Task.Delay(50))
        {
            var me = await JsonAsync(await after.GetAsync("/api/v1/me"));
            used = me.GetProperty("quota").GetProperty("user").EnumerateArray().Single(l => l.GetProperty("metric").GetString() == "PredictionRows").GetProperty("used").GetInt64();
        }

        Assert.Equal(Rows, used);
    }

    private static HttpClient Client(PortalProcess portal)
    {
        var client = new HttpClient { BaseAddress = new Uri(portal.BaseUrl), Timeout = TimeSpan.FromSeconds(100) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return client;
    }

    private static bool Finished(JsonElement run) => run.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task<JsonElement> WaitAsync(HttpClient client, string runId, Func<JsonElement, bool> until, TimeSpan timeout, PortalProcess portal)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var run = await JsonAsync(await client.GetAsync($"/api/v1/runs/{runId}"));
            if (until(run))
            {
                return run;
            }

            Assert.True(watch.Elapsed < timeout, $"Timed out; the run is {run}\n{portal.Log()}");
            await Task.Delay(50);
        }
    }
}
