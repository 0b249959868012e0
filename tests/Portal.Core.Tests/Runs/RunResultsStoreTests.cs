using Microsoft.Extensions.Options;
using Portal.Core.Datasets;
using Portal.Core.Runs;

namespace Portal.Core.Tests.Runs;

/// <summary>A finished run's checked rows go back to its dataset for the next run, unless a newer check is there.</summary>
public sealed class RunResultsStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-store-").FullName;

    [Fact]
    public void A_finished_runs_rows_go_back_to_its_dataset_fresh_for_the_sweep_unless_a_newer_check_is_there()
    {
        var storage = new DatasetStorage(new PortalPaths(_folder), Options.Create(new StorageOptions { Root = "storage" }));
        var store = new RunResultsStore(storage);
        var run = new Run { OwnerId = "u", TemplateId = "t", ModelVersion = "1", DatasetName = "d", TenantId = Guid.NewGuid(), DatasetId = Guid.NewGuid() };
        var check = storage.Resolve(storage.CheckedRowsPath(run.TenantId, run.DatasetId));

        WriteInput(run, store, "rows of the run");
        store.ReturnInput(run);
        Assert.False(File.Exists(store.InputPathOf(run)));
        Assert.Equal("rows of the run", File.ReadAllText(check));
        Assert.True(File.GetLastWriteTimeUtc(check) > DateTime.UtcNow.AddMinutes(-1)); // a check of now, not of when it was written

        File.WriteAllText(check, "a newer check");
        WriteInput(run, store, "rows of the run");
        store.ReturnInput(run);
        Assert.False(File.Exists(store.InputPathOf(run)));
        Assert.Equal("a newer check", File.ReadAllText(check));

        store.ReturnInput(run); // nothing to give back
    }

    private static void WriteInput(Run run, RunResultsStore store, string text)
    {
        var input = store.InputPathOf(run);
        Directory.CreateDirectory(Path.GetDirectoryName(input)!);
        File.WriteAllText(input, text);
        File.SetLastWriteTimeUtc(input, DateTime.UtcNow.AddHours(-3));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
