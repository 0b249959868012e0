using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Portal.Core.Assistant;

namespace Portal.Web.Endpoints;

/// <summary>
/// The OpenAI-compatible door for LLM clients: <c>GET /v1/models</c> lists the assistant templates the key's
/// organisation may use; <c>POST /v1/chat/completions</c> runs one with the caller's messages, as JSON or as server-sent
/// events (<c>"stream": true</c>), in OpenAI's shapes. Same API keys, same metering (LlmTokens), errors in OpenAI's shape.
/// </summary>
internal static class OpenAiEndpoints
{
    public static void MapOpenAiEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", async (AssistantService service, CancellationToken ct) =>
            {
                var assistants = await service.AssistantsAsync(ct);
                return TypedResults.Ok(new
                {
                    @object = "list",
                    data = assistants.Select(p => new { id = p.Id, @object = "model", created = 1_764_374_400L, owned_by = "portal" }),
                });
            })
            .WithName("ListModels").WithSummary("The assistant templates your key may use, as OpenAI models");
        v1.MapPost("/chat/completions", CompleteAsync)
            .WithName("CreateChatCompletion")
            .WithSummary("Run an assistant template with your messages (OpenAI chat completions; stream: true for server-sent events)")
            .DisableAntiforgery();
    }

    private static async Task CompleteAsync(HttpContext context, AssistantService service, TimeProvider clock, CancellationToken ct)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException($"The body is not JSON: {e.Message}");
        }

        var model = Text(body?["model"]) ?? throw new BadHttpRequestException("'model' is required: one of GET /v1/models.");
        var messages = (body!["messages"] as JsonArray ?? throw new BadHttpRequestException("'messages' is required: an array of {role, content}."))
            .Select(m => m is JsonObject o
                ? new ChatTurn(Text(o["role"]) ?? "user", ContentText(o["content"]))
                : throw new BadHttpRequestException("Each message is an object {role, content}."))
            .ToList();
        var stream = Flag(body["stream"], "stream");
        var includeUsage = Flag(body["stream_options"]?["include_usage"], "stream_options.include_usage");
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = clock.GetUtcNow().ToUnixTimeSeconds();

        // The first step (access, quota) runs before any byte is written, so refusals still get their status code.
        await using var events = service.StreamStatelessAsync(model, messages, ct).GetAsyncEnumerator(ct);
        var hasFirst = await events.MoveNextAsync();

        if (!stream)
        {
            var text = new System.Text.StringBuilder();
            IReadOnlyList<Citation> citations = [];
            AnswerCompleted? done = null;
            for (var more = hasFirst; more; more = await events.MoveNextAsync())
            {
                switch (events.Current)
                {
                    case AnswerDelta d: text.Append(d.Text); break;
                    case AnswerCitations c: citations = c.Citations; break;
                    case AnswerCompleted c: done = c; break;
                }
            }

            await context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = created,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text.ToString() },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = Usage(done?.Usage),
                ["portal"] = Portal(done?.Engine, citations),
            }, ct);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var first = true;
        IReadOnlyList<Citation> cited = [];
        for (var more = hasFirst; more; more = await events.MoveNextAsync())
        {
            switch (events.Current)
            {
                case AnswerDelta d:
                    var delta = new JsonObject { ["content"] = d.Text };
                    if (first)
                    {
                        delta["role"] = "assistant";
                        first = false;
                    }

                    await SendAsync(Chunk(delta, null));
                    break;
                case AnswerCitations c:
                    cited = c.Citations;
                    break;
                case AnswerCompleted c:
                    var last = Chunk(new JsonObject(), "stop");
                    last["portal"] = Portal(c.Engine, cited);
                    await SendAsync(last);
                    if (includeUsage)
                    {
                        await SendAsync(new JsonObject { ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model, ["choices"] = new JsonArray(), ["usage"] = Usage(c.Usage) });
                    }

                    break;
            }
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", ct);

        JsonObject Chunk(JsonObject delta, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };

        async Task SendAsync(JsonObject chunk)
        {
            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", ct);
            await context.Response.Body.FlushAsync(ct);
        }
    }

    private static JsonObject Usage(AssistantUsage? usage) => new()
    {
        ["prompt_tokens"] = usage?.PromptTokens ?? 0,
        ["completion_tokens"] = usage?.CompletionTokens ?? 0,
        ["total_tokens"] = usage?.TotalTokens ?? 0,
    };

    private static JsonObject Portal(string? engine, IReadOnlyList<Citation> citations) => new()
    {
        ["engine"] = engine,
        ["citations"] = new JsonArray([.. citations.Select(c => (JsonNode)new JsonObject
        {
            ["number"] = c.Number, ["document"] = c.Document, ["heading"] = c.Heading, ["passage"] = c.Passage, ["score"] = c.Score,
        })]),
    };

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new BadHttpRequestException($"'{node.GetPropertyName()}' must be a string."),
    };

    private static bool Flag(JsonNode? node, string name) => node switch
    {
        null => false,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw new BadHttpRequestException($"'{name}' must be true or false."),
    };

    /// <summary>A message's text: a string, or the text parts of a content array.</summary>
    private static string ContentText(JsonNode? content) => content switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray parts => string.Join("\n", parts.OfType<JsonObject>().Where(p => Text(p["type"]) == "text").Select(p => Text(p["text"]) ?? string.Empty)),
        _ => string.Empty,
    };
}

/// <summary>Writes problem details on <c>/v1</c> in OpenAI's error shape: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal sealed class OpenAiErrorWriter : IProblemDetailsWriter
{
    // While an exception is handled the request path points at the error page; the original path decides.
    public bool CanWrite(ProblemDetailsContext context) =>
        ApiPaths.IsOpenAi(context.HttpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Path ?? context.HttpContext.Request.Path);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
        var (type, code) = status switch
        {
            StatusCodes.Status401Unauthorized => ("invalid_request_error", "invalid_api_key"),
            StatusCodes.Status403Forbidden => ("invalid_request_error", "model_not_allowed"),
            StatusCodes.Status404NotFound => ("invalid_request_error", "model_not_found"),
            StatusCodes.Status429TooManyRequests => ("insufficient_quota", context.ProblemDetails.Extensions.ContainsKey("resetsAt") ? "insufficient_quota" : "rate_limit_exceeded"),
            >= 500 => ("server_error", "server_error"),
            _ => ("invalid_request_error", "invalid_request"),
        };
        var error = new { error = new { message = context.ProblemDetails.Detail ?? context.ProblemDetails.Title ?? "Error", type, param = (string?)null, code } };
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(error));
    }
}
