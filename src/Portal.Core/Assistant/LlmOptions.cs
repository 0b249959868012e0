using Microsoft.Extensions.Options;

namespace Portal.Core.Assistant;

/// <summary>Which engine answers for the assistant templates.</summary>
public enum LlmProvider
{
    /// <summary>The built-in engine: retrieval and quoting, no model server.</summary>
    Local = 0,
    /// <summary>Any OpenAI-compatible server: OpenAI, vLLM, Ollama, LM Studio, llama.cpp server.</summary>
    OpenAI = 1,
    /// <summary>Azure OpenAI (<see cref="LlmOptions.ChatModel"/> is the deployment name).</summary>
    AzureOpenAI = 2,
}

/// <summary><c>Portal:Llm</c>: the generative model behind the assistants, used through Semantic Kernel.</summary>
public sealed class LlmOptions
{
    public const string Section = "Portal:Llm";

    public LlmProvider Provider { get; set; } = LlmProvider.Local;

    /// <summary>The server's base address including <c>/v1</c> for OpenAI-compatible servers (e.g. <c>http://localhost:11434/v1</c>); the resource address for Azure.</summary>
    public string? Endpoint { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>The chat model (OpenAI-compatible) or deployment (Azure).</summary>
    public string? ChatModel { get; set; }

    /// <summary>
    /// An embedding model on the same server for retrieval (e.g. <c>text-embedding-3-small</c>, <c>nomic-embed-text</c>);
    /// empty: the bundled all-MiniLM-L6-v2. Documents indexed with another model are indexed again at start-up.
    /// </summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>How long one answer may take, from the request to its last token.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Retries of a call that failed transiently (429, 5xx, connection), with exponential back-off; Retry-After is honoured.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; later ones double.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public int MaxCompletionTokens { get; set; } = 800;

    public double Temperature { get; set; } = 0.2;
}

internal sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions o)
    {
        if (o.Provider == LlmProvider.Local)
        {
            return string.IsNullOrEmpty(o.EmbeddingModel)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{LlmOptions.Section}:EmbeddingModel needs a model server: set Provider to OpenAI or AzureOpenAI, or leave EmbeddingModel empty.");
        }

        var problems = new List<string>();
        if (!Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            problems.Add($"{LlmOptions.Section}:Endpoint must be an http(s) address for provider {o.Provider} (e.g. http://localhost:11434/v1).");
        }

        if (string.IsNullOrWhiteSpace(o.ChatModel))
        {
            problems.Add($"{LlmOptions.Section}:ChatModel is required for provider {o.Provider}.");
        }

        if (o.Provider == LlmProvider.AzureOpenAI && string.IsNullOrWhiteSpace(o.ApiKey))
        {
            problems.Add($"{LlmOptions.Section}:ApiKey is required for Azure OpenAI.");
        }

        if (o.Timeout <= TimeSpan.Zero || o.MaxRetries is < 0 or > 10 || o.MaxCompletionTokens is < 1 or > 32_000 || o.Temperature is < 0 or > 2)
        {
            problems.Add($"{LlmOptions.Section}: Timeout > 0, MaxRetries 0–10, MaxCompletionTokens 1–32000, Temperature 0–2.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>The configured language model could not answer (after retries); nothing is charged.</summary>
public sealed class LlmUnavailableException(LocalizableText text, Exception? inner = null) : LocalizableException(text, inner)
{
    public LlmUnavailableException(string message, Exception? inner = null)
        : this(new LocalizableText(message), inner)
    {
    }
}
