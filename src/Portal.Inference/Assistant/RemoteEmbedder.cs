using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using OpenAI;
using Portal.Core.Assistant;

namespace Portal.Inference.Assistant;

/// <summary>
/// Sentence embeddings from the configured model server (<c>Portal:Llm:EmbeddingModel</c>) through Semantic Kernel's
/// embedding generator, with the same retries as chat. Vectors are normalised to unit length so that the index's dot
/// product stays a cosine. Token counts for metering estimates use the bundled WordPiece tokenizer.
/// </summary>
public sealed class RemoteEmbedder : ITextEmbedder
{
    private const int BatchSize = 64;
    private readonly IHttpClientFactory httpClients;
    private readonly IOptions<LlmOptions> options;
    private readonly MiniLmEmbedder local;
    private readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>> _generator;

    public RemoteEmbedder(IHttpClientFactory httpClients, IOptions<LlmOptions> options, MiniLmEmbedder local)
    {
        this.httpClients = httpClients;
        this.options = options;
        this.local = local;
        _generator = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string ModelId => (options.Value.Provider == LlmProvider.AzureOpenAI ? "azure-openai:" : "openai:") + options.Value.EmbeddingModel;

    public int Dimensions => 0; // whatever the server's model returns

    public int CountTokens(string text) => local.CountTokens(text);

    public bool IsMetered => true;

    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var generator = _generator.Value;
        var result = new List<float[]>(texts.Count);
        try
        {
            for (var start = 0; start < texts.Count; start += BatchSize)
            {
                var batch = await generator.GenerateAsync(texts.Skip(start).Take(BatchSize), cancellationToken: cancellationToken);
                result.AddRange(batch.Select(e => Normalise(e.Vector.ToArray())));
            }
        }
        catch (Exception e) when (e is HttpRequestException or ClientResultException or HttpOperationException or IOException)
        {
            throw new LlmUnavailableException("The embedding model could not be reached; please try again later.", e);
        }

        return [.. result];
    }

    private IEmbeddingGenerator<string, Embedding<float>> Build()
    {
        var o = options.Value;
        var http = httpClients.CreateClient(SemanticKernelEngine.HttpClientName);
        var builder = Kernel.CreateBuilder();
#pragma warning disable SKEXP0010 // Semantic Kernel 1.82 marks its embedding generators as evaluation APIs; they are SK's way to embeddings.
        if (o.Provider == LlmProvider.AzureOpenAI)
        {
            builder.AddAzureOpenAIEmbeddingGenerator(deploymentName: o.EmbeddingModel!, endpoint: o.Endpoint!, apiKey: o.ApiKey!, httpClient: http);
        }
        else
        {
            var client = new OpenAIClient(
                new ApiKeyCredential(string.IsNullOrEmpty(o.ApiKey) ? "none" : o.ApiKey),
                new OpenAIClientOptions { Endpoint = new Uri(o.Endpoint!), Transport = new HttpClientPipelineTransport(http), RetryPolicy = new ClientRetryPolicy(0) });
            builder.AddOpenAIEmbeddingGenerator(o.EmbeddingModel!, client);
        }
#pragma warning restore SKEXP0010

        return builder.Build().GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
    }

    private static float[] Normalise(float[] v)
    {
        var norm = MathF.Sqrt(Vectors.Dot(v, v));
        if (norm > 0)
        {
            for (var i = 0; i < v.Length; i++)
            {
                v[i] /= norm;
            }
        }

        return v;
    }
}
