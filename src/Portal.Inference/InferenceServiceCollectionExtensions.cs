using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Portal.Core.Assistant;
using Portal.Core.Templates;
using Portal.Inference.Assistant;
using Portal.Inference.Templates;

namespace Portal.Inference;

public static class InferenceServiceCollectionExtensions
{
    /// <summary>Registers the model runtime: the template catalog (packs and ONNX sessions, loaded once) and scoring.</summary>
    public static IServiceCollection AddPortalInference(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TemplateOptions>().Bind(configuration.GetSection(TemplateOptions.Section));
        services.AddSingleton<TemplateCatalog>();
        services.AddSingleton<ITemplateCatalog>(sp => sp.GetRequiredService<TemplateCatalog>());
        services.AddScoped<TabularPredictionService>();
        services.AddSingleton<MiniLmEmbedder>();
        services.AddSingleton<RemoteEmbedder>();
        services.AddSingleton<ITextEmbedder>(sp =>
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<LlmOptions>>().Value is { Provider: not LlmProvider.Local, EmbeddingModel: { Length: > 0 } }
                ? sp.GetRequiredService<RemoteEmbedder>()
                : sp.GetRequiredService<MiniLmEmbedder>());
        services.AddHostedService<KnowledgeReindexer>();
        AddLanguageModel(services);
        services.AddSingleton<Runs.RunProcessor>();
        services.AddHostedService<Runs.RunWorker>();
        return services;
    }

    /// <summary>The assistants' engine: the built-in one, or a generative model through Semantic Kernel with retries.</summary>
    private static void AddLanguageModel(IServiceCollection services)
    {
        services.AddScoped<LoanCopilot>();
        services.AddSingleton<NoteSummarizer>();
        services.AddScoped<LocalAssistantEngine>();
        services.AddScoped<SemanticKernelEngine>();
        services.AddScoped<IAssistantEngine>(sp =>
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<LlmOptions>>().Value.Provider == LlmProvider.Local
                ? sp.GetRequiredService<LocalAssistantEngine>()
                : sp.GetRequiredService<SemanticKernelEngine>());
        services.AddHttpClient(SemanticKernelEngine.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("llm", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<LlmOptions>>().Value;
                pipeline.AddRetry(new Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Math.Max(1, o.MaxRetries),
                    ShouldHandle = args => ValueTask.FromResult(o.MaxRetries > 0 && Microsoft.Extensions.Http.Resilience.HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                    BackoffType = Polly.DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = o.RetryDelay,
                    ShouldRetryAfterHeader = true,
                });
            });
    }
}
