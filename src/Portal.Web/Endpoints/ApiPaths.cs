namespace Portal.Web.Endpoints;

/// <summary>Which requests belong to the HTTP API (problem details, API-key authentication, request metering).</summary>
public static class ApiPaths
{
    public const string V1 = "/api/v1";

    /// <summary>The OpenAI-compatible door (<c>/v1/models</c>, <c>/v1/chat/completions</c>); its errors have OpenAI's shape.</summary>
    public const string OpenAi = "/v1";

    public static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || IsOpenAi(path);

    public static bool IsOpenAi(PathString path) => path.StartsWithSegments(OpenAi, StringComparison.OrdinalIgnoreCase);
}
