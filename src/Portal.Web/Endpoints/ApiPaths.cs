namespace Portal.Web.Endpoints;

/// <summary>Which requests belong to the HTTP API (problem details, API-key authentication, request metering).</summary>
public static class ApiPaths
{
    public const string V1 = "/api/v1";

    public static bool IsApi(PathString path) => path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);
}
