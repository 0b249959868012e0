using Portal.Training;

// Trains every template (or the ids given) and writes the packs to src/Portal.Templates.
//   dotnet run --project src/Portal.Training [-- [--out <folder>] [template-id ...]]
// Embeds the seeded course material's passages once and writes their vectors next to it.
//   dotnet run --project src/Portal.Training -- course
var root = FindRepositoryRoot();
if (args is ["course"])
{
    var written = await CourseVectors.WriteAsync(Path.Combine(root, "src", "Portal.Core", "Demo", "Course"), Console.Out);
    return written > 0 ? 0 : 1;
}

var output = Path.Combine(root, "src", "Portal.Templates");
var ids = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length)
    {
        output = Path.GetFullPath(args[++i]);
    }
    else
    {
        ids.Add(args[i]);
    }
}

var specs = TemplateSpecs.All.Where(s => ids.Count == 0 || ids.Contains(s.Id)).ToList();
if (specs.Count == 0)
{
    Console.Error.WriteLine($"No template matches {string.Join(", ", ids)}. Known: {string.Join(", ", TemplateSpecs.All.Select(s => s.Id))}");
    return 2;
}

foreach (var spec in specs)
{
    new TemplateTrainer(spec, Path.Combine(root, "src", "Portal.Training", "Data"), output, Console.Out).Train();
}

Console.WriteLine($"Wrote {specs.Count} pack(s) to {output}");
return 0;

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
        {
            return dir.FullName;
        }
    }

    throw new DirectoryNotFoundException("Run from inside the Portal repository (Portal.sln not found).");
}
