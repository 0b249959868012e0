namespace Portal.Core;

/// <summary>Resolves relative paths from configuration against the application's content root.</summary>
public sealed class PortalPaths(string contentRoot)
{
    public string ContentRoot { get; } = contentRoot;

    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(ContentRoot, path));
}
