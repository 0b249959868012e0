using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        services.AddSingleton<Portal.Core.Assistant.ITextEmbedder>(sp => sp.GetRequiredService<MiniLmEmbedder>());
        services.AddSingleton<Runs.RunProcessor>();
        services.AddHostedService<Runs.RunWorker>();
        return services;
    }
}
