using System.Text.RegularExpressions;

namespace Portal.E2E;

/// <summary>Uploads and batch runs in the browser: the core workflow of a business user.</summary>
[Collection(PortalCollection.Name)]
public sealed class DatasetJourneys(PortalAppFixture app) : JourneyTest(app)
{
    /// <summary>The list has loaded and the page will not re-render the file input under the test's feet.</summary>
    private Task WaitForDatasetsAsync() =>
        Page.Locator("[data-testid=datasets-page][data-loaded=true]").WaitForAsync();

    /// <summary>
    /// Chooses the file. Blazor's file input attaches its listener just after it renders; a file set in that instant is
    /// not seen (a person would pick it again), so the test tries again when nothing started within 5 s.
    /// </summary>
    private async Task ChooseFileAsync(string file)
    {
        var page = Page.Url;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await Page.Locator("input[type=file]").SetInputFilesAsync(file);
            for (var waited = 0; waited < 50; waited++)
            {
                if (Page.Url != page || await ByTestId("upload-progress").CountAsync() > 0 || await ByTestId("upload-error").CountAsync() > 0)
                {
                    return;
                }

                await Page.WaitForTimeoutAsync(100);
            }
        }
    }

    [Fact]
    public Task A_member_uploads_the_data_sets_own_file_watches_the_run_reviews_results_and_downloads_them() =>
        JourneyAsync(async () =>
        {
            // The German credit data set's own rows, repeated to 150,000 so that the run takes long enough to watch.
            var file = Path.Combine(Path.GetTempPath(), $"german-credit-150k-{Guid.NewGuid():N}.csv");
            await File.WriteAllTextAsync(file, RepositoryPaths.Repeated("german-credit", 150_000));

            await LogInAsync("member@bank.demo");
            await Page.GotoAsync("/templates/finance-credit-risk");
            await WaitInteractiveAsync();
            await ByTestId("score-a-file").ClickAsync();
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/datasets\\?template=finance-credit-risk$"));
            await WaitInteractiveAsync();
            await WaitForDatasetsAsync();
            await ChooseFileAsync(file);

            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/datasets/[0-9a-f-]{36}\\?template=finance-credit-risk$"), new() { Timeout = 60_000 });
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("dataset-rows")).ToHaveTextAsync("150,000 rows");
            await Assertions.Expect(ByTestId("preview").Locator("tbody tr")).ToHaveCountAsync(20);
            await Assertions.Expect(ByTestId("valid-rows")).ToHaveTextAsync("150,000", new() { Timeout = 30_000 });
            await Assertions.Expect(ByTestId("invalid-rows")).ToHaveTextAsync("0");
            await Assertions.Expect(ByTestId("label-column")).ToContainTextAsync("credit_risk");
            await Assertions.Expect(ByTestId("quota-notice")).ToHaveAttributeAsync("data-allows", "true");
            await DocScreenshotAsync("dataset-check");
            await ByTestId("start-run").ClickAsync();

            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/runs/[0-9a-f-]{36}$"));
            var runPage = Page.Url;
            await WaitInteractiveAsync();
            await Assertions.Expect(ByTestId("run-progress")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("progress-text")).ToContainTextAsync(new Regex("rows/s · about .* left"));
            await DocScreenshotAsync("run-progress");
            await Assertions.Expect(ByTestId("run-state")).ToHaveAttributeAsync("data-state", "Succeeded", new() { Timeout = 120_000 });
            await Assertions.Expect(ByTestId("rows-done")).ToHaveTextAsync("150,000");
            await Assertions.Expect(ByTestId("charged")).ToHaveTextAsync("150,000");
            await Assertions.Expect(ByTestId("run-metrics")).ToContainTextAsync("AUC");
            await Assertions.Expect(ByTestId("run-confusion")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("histogram").Locator("svg")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("label-counts").Locator("svg")).ToBeVisibleAsync();
            await Assertions.Expect(ByTestId("results-grid").Locator("tbody tr")).ToHaveCountAsync(25);
            await Assertions.Expect(ByTestId("inputs-as-read")).ToContainTextAsync("as the model read them");
            await DocScreenshotAsync("run-results");

            // Only the rows predicted "bad", the least certain first (just above the 0.5 threshold).
            await ByTestId("label-filter").ClickAsync();
            await Page.GetByRole(AriaRole.Option, new() { Name = "bad credit risk" }).ClickAsync();
            await Assertions.Expect(ByTestId("results-grid").Locator("tbody")).Not.ToContainTextAsync("good credit risk");
            await Page.GetByRole(AriaRole.Columnheader, new() { Name = "Probability" }).Locator(".sortable-column-header").ClickAsync();
            await Assertions.Expect(ByTestId("results-grid").Locator("tbody tr").First.Locator("td").Nth(2)).ToHaveTextAsync(new Regex("^0\\.50\\d$"));

            await ByTestId("explain-row").First.ClickAsync();
            await Assertions.Expect(ByTestId("row-explanation").Locator(".effect-row")).ToHaveCountAsync(8);
            await ByTestId("explain-close").ClickAsync();

            var download = await Page.RunAndWaitForDownloadAsync(() => ByTestId("export-csv").ClickAsync());
            var csv = await File.ReadAllLinesAsync((await download.PathAsync())!);
            Assert.Contains(csv, l => l.StartsWith("# template: finance-credit-risk", StringComparison.Ordinal));
            Assert.Equal(150_001, csv.Count(l => !l.StartsWith('#') && !l.StartsWith("\uFEFF#", StringComparison.Ordinal)));

            await Page.GetByRole(AriaRole.Link, new() { Name = "Runs" }).First.ClickAsync();
            await Assertions.Expect(ByTestId("runs-grid")).ToContainTextAsync("Loan application credit risk");

            // The run and the explanation are in the usage history, its chart and its export.
            await Page.GetByRole(AriaRole.Link, new() { Name = "My usage" }).First.ClickAsync();
            await Assertions.Expect(ByTestId("usage-grid")).ToContainTextAsync("150,000");
            await Assertions.Expect(ByTestId("usage-chart").Locator("svg")).ToBeVisibleAsync();
            await DocScreenshotAsync("usage-history");
            var usage = await Page.RunAndWaitForDownloadAsync(() => ByTestId("usage-export").ClickAsync());
            var records = await File.ReadAllLinesAsync((await usage.PathAsync())!);
            Assert.Contains(records, l => l.Contains(",finance-credit-risk,PredictionRows,150000,Succeeded,Ui,", StringComparison.Ordinal));
            Assert.Contains(records, l => l.Contains(",finance-credit-risk,PredictionRows,1,Succeeded,Ui,", StringComparison.Ordinal));

            // The member deletes the results for good; the run keeps its counts and charge.
            await Page.GotoAsync(runPage);
            await WaitInteractiveAsync();
            await ByTestId("delete-results").ClickAsync();
            await ConfirmAsync("Delete");
            await Assertions.Expect(ByTestId("results-deleted")).ToContainTextAsync("were deleted");
            await Assertions.Expect(ByTestId("results-grid")).ToHaveCountAsync(0);
            await Assertions.Expect(ByTestId("export-csv")).ToHaveCountAsync(0);
            await Assertions.Expect(ByTestId("charged")).ToHaveTextAsync("150,000");
            File.Delete(file);
        });

    [Fact]
    public Task A_binary_file_renamed_csv_gets_a_clear_message_and_nothing_is_stored() =>
        JourneyAsync(async () =>
        {
            var file = Path.Combine(Path.GetTempPath(), $"photo-{Guid.NewGuid():N}.csv");
            await File.WriteAllBytesAsync(file, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52]);
            await LogInAsync("member@hospital.demo");
            await Page.GotoAsync("/datasets");
            await WaitInteractiveAsync();
            await WaitForDatasetsAsync();
            await ChooseFileAsync(file);
            await Assertions.Expect(ByTestId("upload-error")).ToContainTextAsync("This is a binary file, not CSV text");
            await Assertions.Expect(ByTestId("datasets-grid")).Not.ToContainTextAsync("photo-");
            File.Delete(file);
        });
}
