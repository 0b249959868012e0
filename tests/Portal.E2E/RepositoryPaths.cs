namespace Portal.E2E;

/// <summary>Files of the repository the tests use as input (the data sets' own files, template samples).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = Find();

    /// <summary>A data set's own CSV file as shipped with the training tool.</summary>
    public static string DataSet(string name) => Path.Combine(Root, "src", "Portal.Training", "Data", name, name + ".csv");

    /// <summary>A data set's own rows repeated to <paramref name="rows"/> rows, under its own header, as CSV text.</summary>
    public static string Repeated(string name, int rows)
    {
        var source = File.ReadAllLines(DataSet(name));
        var text = new System.Text.StringBuilder(source[0]).Append('\n');
        for (var i = 0; i < rows; i++)
        {
            text.Append(source[1 + i % (source.Length - 1)]).Append('\n');
        }

        return text.ToString();
    }

    private static string Find()
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
}
