using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Portal.Training.Tests;

/// <summary>
/// Re-running the training tool reproduces the committed packs: byte for byte on one machine, and to float rounding on
/// another. ML.NET's vectorised arithmetic follows the processor's instruction set, so a machine with other vector units
/// sums in another order: the education model retrained on a second machine differed from the committed one in the
/// seventh digit of its calibration means and validation scores, and so in its bytes and its model version.
/// </summary>
public sealed class ReproducibilityTests
{
    /// <summary>Largest difference allowed between a committed and a retrained number (scores, metrics, calibration).</summary>
    private const double Tolerance = 1e-5;

    private static string Repository([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    [Fact]
    public void Training_again_reproduces_the_committed_packs_and_is_deterministic_on_one_machine()
    {
        var first = Directory.CreateTempSubdirectory("portal-retrain-").FullName;
        var second = Directory.CreateTempSubdirectory("portal-retrain-").FullName;
        try
        {
            var data = Path.Combine(Repository(), "src", "Portal.Training", "Data");
            foreach (var spec in TemplateSpecs.All)
            {
                new TemplateTrainer(spec, data, first, TextWriter.Null).Train();
            }

            var committed = Path.Combine(Repository(), "src", "Portal.Templates");
            // The tool writes the tabular packs; the assistant packs beside them are written by hand.
            var files = TemplateSpecs.All.SelectMany(spec => Directory.EnumerateFiles(Path.Combine(committed, spec.Id), "*", SearchOption.AllDirectories))
                .Select(f => Path.GetRelativePath(committed, f)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(files, FilesIn(first));
            Assert.Equal(4 * 5, files.Count);
            foreach (var file in files)
            {
                var (expected, actual) = (Path.Combine(committed, file), Path.Combine(first, file));
                switch (Path.GetFileName(file))
                {
                    case "model.onnx":
                        break; // its scores are compared through validation.csv; its bytes follow the arithmetic
                    case "validation.csv":
                        AssertSameRows(file, File.ReadAllLines(expected), File.ReadAllLines(actual));
                        break;
                    case "model-card.json" or "template.json":
                        AssertSameJson(file, JsonNode.Parse(File.ReadAllText(expected)), JsonNode.Parse(File.ReadAllText(actual)));
                        break;
                    default:
                        Assert.True(File.ReadAllBytes(expected).AsSpan().SequenceEqual(File.ReadAllBytes(actual)), $"{file} differs from the committed pack.{Retrain}");
                        break;
                }
            }

            // On one machine, training is deterministic to the byte (the smallest pack, trained a second time).
            var again = TemplateSpecs.All.MinBy(spec => new FileInfo(Path.Combine(first, spec.Id, "model.onnx")).Length)!;
            new TemplateTrainer(again, data, second, TextWriter.Null).Train();
            foreach (var file in FilesIn(second))
            {
                Assert.True(
                    File.ReadAllBytes(Path.Combine(first, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(second, file))),
                    $"{file} differs between two trainings on this machine.");
            }
        }
        finally
        {
            Directory.Delete(first, recursive: true);
            Directory.Delete(second, recursive: true);
        }
    }

    private const string Retrain = " Re-run `dotnet run --project src/Portal.Training` and commit the packs.";

    private static List<string> FilesIn(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)];

    /// <summary>The same rows and cells, the numbers (the expected scores) within <see cref="Tolerance"/>.</summary>
    private static void AssertSameRows(string file, string[] expected, string[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var row = 0; row < expected.Length; row++)
        {
            var (want, got) = (expected[row].Split(','), actual[row].Split(','));
            Assert.True(want.Length == got.Length, $"{file} line {row + 1} has {got.Length} cells, not {want.Length}.{Retrain}");
            for (var cell = 0; cell < want.Length; cell++)
            {
                Assert.True(SameValue(want[cell], got[cell]), $"{file} line {row + 1} cell {cell + 1}: '{got[cell]}', committed '{want[cell]}'.{Retrain}");
            }
        }
    }

    /// <summary>The same document, numbers within <see cref="Tolerance"/>; the model version is a hash of the model's bytes.</summary>
    private static void AssertSameJson(string path, JsonNode? expected, JsonNode? actual)
    {
        switch (expected)
        {
            case JsonObject want:
                var got = Assert.IsType<JsonObject>(actual);
                Assert.True(want.Select(p => p.Key).SequenceEqual(got.Select(p => p.Key)), $"{path}: other properties.{Retrain}");
                foreach (var (key, value) in want)
                {
                    if (key != "modelVersion")
                    {
                        AssertSameJson($"{path}.{key}", value, got[key]);
                    }
                }

                break;
            case JsonArray want:
                var items = Assert.IsType<JsonArray>(actual);
                Assert.True(want.Count == items.Count, $"{path}: {items.Count} items, not {want.Count}.{Retrain}");
                for (var i = 0; i < want.Count; i++)
                {
                    AssertSameJson($"{path}[{i}]", want[i], items[i]);
                }

                break;
            default:
                Assert.True(SameValue(expected?.ToJsonString(), actual?.ToJsonString()), $"{path}: {actual?.ToJsonString()}, committed {expected?.ToJsonString()}.{Retrain}");
                break;
        }
    }

    private static bool SameValue(string? expected, string? actual) =>
        expected == actual
        || (double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var want)
            && double.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var got)
            && Math.Abs(want - got) <= Tolerance * Math.Max(1, Math.Abs(want)));
}
