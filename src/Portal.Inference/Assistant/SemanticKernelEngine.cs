using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using Portal.Core;
using Portal.Core.Assistant;

namespace Portal.Inference.Assistant;

/// <summary>
/// Answers with a generative model through Semantic Kernel's chat completion (any OpenAI-compatible server, or Azure
/// OpenAI): the pack's prompt template is rendered with the retrieved passages, the conversation follows, and the answer
/// streams back token by token. Calls go through an HttpClient with retries and back-off for transient failures; the
/// answer as a whole has a time limit. Token counts come from the server's usage fields (the local tokenizer estimates
/// them only when a server sends none).
/// </summary>
public sealed partial class SemanticKernelEngine(
    KnowledgeService knowledge,
    LoanCopilot copilot,
    ITextEmbedder tokens,
    IHttpClientFactory httpClients,
    IOptions<LlmOptions> options,
    ILogger<SemanticKernelEngine> logger) : IAssistantEngine
{
    public const string HttpClientName = "llm";

    public string Name => (options.Value.Provider == LlmProvider.AzureOpenAI ? "azure-openai:" : "openai:") + options.Value.ChatModel;

    public bool IsGenerative => true;

    public async IAsyncEnumerable<AnswerEvent> AnswerAsync(AnswerContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var o = options.Value;
        var spec = context.Pack.Manifest.Assistant!;
        var kernel = BuildKernel(o);
        var arguments = new KernelArguments { ["organisation"] = context.Organisation, ["school"] = context.Organisation };
        List<PassageHit> relevant = [];
        string? immediate = null;
        switch (spec.Mode)
        {
            case AssistantModes.Tutor:
                relevant = LocalAssistantEngine.Relevant(await knowledge.SearchAsync(context.Question, 6, cancellationToken), 5);
                // Grounded by design: without material there is nothing to answer from, and no call is made.
                immediate = relevant.Count == 0 ? LocalAssistantEngine.NotInMaterial(AnswerLanguage.Chinese(context.Question)) : null;
                arguments["passages"] = string.Join("\n\n", relevant.Select((p, i) => $"[{i + 1}] {p.Document} — {p.Heading}\n{p.Text}"));
                arguments["gradedWorkRule"] = context.RefuseGradedWork
                    ? "The teacher does not allow you to do graded work (homework, assignments, exam or quiz answers) for the student: decline politely and explain the underlying ideas instead."
                    : string.Empty;
                break;
            case AssistantModes.LoanCopilot:
                var scoring = spec.UsesTemplate!;
                var (row, missing) = copilot.Read(scoring, context.Question);
                if (missing.Count > 0)
                {
                    immediate = LoanCopilot.Incomplete(missing, [], copilot.Manifest(scoring), AnswerLanguage.Chinese(context.Question));
                    break;
                }

                // The model is called as a Semantic Kernel function; the language model drafts the memo from its result.
                kernel.Plugins.AddFromObject(new CreditRiskPlugin(copilot, scoring), "credit");
                var review = await kernel.InvokeAsync<string>("credit", "score_application", new KernelArguments { ["application"] = JsonSerializer.Serialize(row) }, cancellationToken);
                if (review is null || !review.Contains("\"probability\"", StringComparison.Ordinal))
                {
                    immediate = LoanCopilot.Incomplete([], (await copilot.ReviewAsync(scoring, row, cancellationToken)).Errors, copilot.Manifest(scoring), AnswerLanguage.Chinese(context.Question));
                    break;
                }

                arguments["application"] = JsonSerializer.Serialize(row);
                arguments["review"] = review;
                break;
            default:
                arguments["disclaimer"] = NoteSummarizer.Disclaimer;
                break;
        }

        if (immediate is not null)
        {
            yield return new AnswerDelta(immediate);
            yield return new AnswerCitations([]);
            yield return new AnswerCompleted(Name, new AssistantUsage(tokens.CountTokens(context.Question), tokens.CountTokens(immediate)), Guid.Empty, 0, false);
            yield break;
        }

        var system = await RenderPromptAsync(kernel, context, arguments, cancellationToken);
        var history = new ChatHistory(system);
        foreach (var turn in context.History.TakeLast(10))
        {
            history.AddMessage(turn.Role == "assistant" ? AuthorRole.Assistant : AuthorRole.User, turn.Content);
        }

        history.AddUserMessage(context.Question);
        var settings = new OpenAIPromptExecutionSettings { MaxTokens = o.MaxCompletionTokens, Temperature = o.Temperature };
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(o.Timeout);
        var answer = new StringBuilder();
        OpenAI.Chat.ChatTokenUsage? usage = null;
        await using var stream = chat.GetStreamingChatMessageContentsAsync(history, settings, kernel, limit.Token).GetAsyncEnumerator(limit.Token);
        while (true)
        {
            StreamingChatMessageContent chunk;
            try
            {
                if (!await stream.MoveNextAsync())
                {
                    break;
                }

                chunk = stream.Current;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LlmUnavailableException(new LocalizableText("The language model did not finish its answer within {0:0} s.", o.Timeout.TotalSeconds));
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or System.ClientModel.ClientResultException or System.Text.Json.JsonException)
            {
                LogFailed(logger, Name, e);
                throw answer.Length == 0
                    ? new LlmUnavailableException("The language model could not be reached or refused the request; please try again later.", e)
                    : new LlmUnavailableException("The language model's answer broke off; please try again.", e);
            }

            if (chunk.Metadata?.TryGetValue("Usage", out var u) == true && u is OpenAI.Chat.ChatTokenUsage reported)
            {
                usage = reported;
            }

            if (!string.IsNullOrEmpty(chunk.Content))
            {
                answer.Append(chunk.Content);
                yield return new AnswerDelta(chunk.Content);
            }
        }

        var cited = CitedNumbers().Matches(answer.ToString()).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var citations = relevant.Select((h, i) => new Citation(i + 1, h.DocumentId, h.Document, h.Heading, h.Text, h.Score, h.Attribution))
            .Where(c => cited.Count == 0 || cited.Contains(c.Number)).ToList();
        yield return new AnswerCitations(citations);
        var spent = usage is { } reportedUsage
            ? new AssistantUsage(reportedUsage.InputTokenCount, reportedUsage.OutputTokenCount)
            : new AssistantUsage(tokens.CountTokens(system) + context.History.Sum(h => tokens.CountTokens(h.Content)) + tokens.CountTokens(context.Question), tokens.CountTokens(answer.ToString()));
        yield return new AnswerCompleted(Name, spent, Guid.Empty, 0, false);
    }

    private Kernel BuildKernel(LlmOptions o)
    {
        var builder = Kernel.CreateBuilder();
        var http = httpClients.CreateClient(HttpClientName);
        if (o.Provider == LlmProvider.AzureOpenAI)
        {
            builder.AddAzureOpenAIChatCompletion(deploymentName: o.ChatModel!, endpoint: o.Endpoint!, apiKey: o.ApiKey!, httpClient: http);
        }
        else
        {
            // Local servers (Ollama, vLLM, llama.cpp) often need no key; the client library insists on one.
            builder.AddOpenAIChatCompletion(modelId: o.ChatModel!, endpoint: new Uri(o.Endpoint!), apiKey: string.IsNullOrEmpty(o.ApiKey) ? "none" : o.ApiKey, httpClient: http);
        }

        return builder.Build();
    }

    /// <summary>Renders the pack's Semantic Kernel prompt template with the mode's arguments.</summary>
    private static async Task<string> RenderPromptAsync(Kernel kernel, AnswerContext context, KernelArguments arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(context.Pack.Folder, context.Pack.Manifest.Assistant!.Prompt);
        var text = await File.ReadAllTextAsync(path, cancellationToken);
        // The rendered text becomes one system message and is never parsed as a chat prompt, so values need no encoding.
        var template = new KernelPromptTemplateFactory { AllowDangerouslySetContent = true }.Create(new PromptTemplateConfig(text) { AllowDangerouslySetContent = true });
        return await template.RenderAsync(kernel, arguments, cancellationToken);
    }

    [GeneratedRegex(@"\[(\d{1,2})\]")]
    private static partial Regex CitedNumbers();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The language model {Engine} failed")]
    private static partial void LogFailed(ILogger logger, string engine, Exception exception);
}
