using System.Runtime.CompilerServices;

namespace Portal.Training.Tests;

/// <summary>Re-running the training tool reproduces the committed packs exactly: models, cards, samples and validation rows.</summary>
public sealed class ReproducibilityTests
{
    private static string Repository([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    [Fact]
    public void Training_again_writes_byte_identical_packs()
    {
        var output = Directory.CreateTempSubdirectory("portal-retrain-").FullName;
        try
        {
            foreach (var spec in TemplateSpecs.All)
            {
                new TemplateTrainer(spec, Path.Combine(Repository(), "src", "Portal.Training", "Data"), output, TextWriter.Null).Train();
            }

            var committed = Path.Combine(Repository(), "src", "Portal.Templates");
            // The tool writes the tabular packs; the assistant packs beside them are written by hand.
            var files = TemplateSpecs.All.SelectMany(spec => Directory.EnumerateFiles(Path.Combine(committed, spec.Id), "*", SearchOption.AllDirectories))
                .Select(f => Path.GetRelativePath(committed, f)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(files, Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)).Order(StringComparer.Ordinal));
            Assert.Equal(4 * 5, files.Count);
            foreach (var file in files)
            {
                Assert.True(
                    File.ReadAllBytes(Path.Combine(committed, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(output, file))),
                    $"{file} differs from the committed pack: re-run `dotnet run --project src/Portal.Training` and commit the packs.");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
