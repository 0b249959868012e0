using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portal.Web.Tests.Assistant;

/// <summary>How the fake answers one request.</summary>
/// <param name="Text">The answer's text (streamed word by word).</param>
/// <param name="Status">An HTTP error status to answer instead (429 comes with Retry-After: 0).</param>
/// <param name="ChunkDelay">Pause between streamed chunks (a slow model).</param>
/// <param name="BreakAfterWords">Abort the connection after this many words (a broken stream).</param>
/// <param name="SendUsage">Whether usage fields are sent.</param>
public sealed record FakeReply(string Text, int PromptTokens = 321, int CompletionTokens = 45, int Status = 200, TimeSpan ChunkDelay = default, int? BreakAfterWords = null, bool SendUsage = true);

/// <summary>
/// A small OpenAI-compatible server on a loopback port for tests: <c>POST /v1/chat/completions</c> in the real wire
/// format (JSON, or server-sent chunks with a final usage chunk when asked for), errors in OpenAI's shape, slow and
/// broken streams on demand. Records every request body.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOpenAiServer(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonNode> Requests { get; } = new();

    /// <summary>Decides the reply to each request; by default a short answer citing passage 1.</summary>
    public Func<JsonNode, int, FakeReply> Reply { get; set; } = (_, _) => new FakeReply("Passage one says so [1].");

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        // Azure OpenAI's path for the same operation (deployment in the path, api-version in the query, key in api-key).
        app.MapPost("/openai/deployments/{deployment}/chat/completions", server.HandleAsync);
        app.MapPost("/v1/embeddings", server.EmbedAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!;
        body["_path"] = context.Request.Path.Value;
        body["_auth"] = context.Request.Headers.Authorization.ToString() is { Length: > 0 } bearer ? bearer : "api-key " + context.Request.Headers["api-key"];
        Requests.Enqueue(body);
        var reply = Reply(body, Requests.Count);
        if (reply.Status != 200)
        {
            context.Response.StatusCode = reply.Status;
            if (reply.Status == 429)
            {
                context.Response.Headers.RetryAfter = "0";
            }

            await context.Response.WriteAsJsonAsync(new { error = new { message = $"fake failure {reply.Status}", type = "server_error", param = (string?)null, code = (string?)null } });
            return;
        }

        var model = body["model"]?.GetValue<string>() ?? "fake";
        var usage = new JsonObject { ["prompt_tokens"] = reply.PromptTokens, ["completion_tokens"] = reply.CompletionTokens, ["total_tokens"] = reply.PromptTokens + reply.CompletionTokens };
        if (body["stream"]?.GetValue<bool>() != true)
        {
            await context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = "chatcmpl-fake", ["object"] = "chat.completion", ["created"] = 1_764_374_400, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text }, ["finish_reason"] = "stop" }),
                ["usage"] = reply.SendUsage ? usage : null,
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var words = System.Text.RegularExpressions.Regex.Matches(reply.Text, @"\S+\s*").Select(m => m.Value).ToList();
        for (var i = 0; i < words.Count; i++)
        {
            if (reply.BreakAfterWords == i)
            {
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            }

            var delta = new JsonObject { ["content"] = words[i] };
            if (i == 0)
            {
                delta["role"] = "assistant";
            }

            await SendAsync(Chunk(delta, null));
            if (reply.ChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(reply.ChunkDelay, context.RequestAborted);
            }
        }

        await SendAsync(Chunk(new JsonObject(), "stop"));
        if (reply.SendUsage && body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
        {
            await SendAsync(new JsonObject { ["id"] = "chatcmpl-fake", ["object"] = "chat.completion.chunk", ["created"] = 1_764_374_400, ["model"] = model, ["choices"] = new JsonArray(), ["usage"] = usage });
        }

        await context.Response.WriteAsync("data: [DONE]\n\n");

        JsonObject Chunk(JsonObject delta, string? finish) => new()
        {
            ["id"] = "chatcmpl-fake", ["object"] = "chat.completion.chunk", ["created"] = 1_764_374_400, ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };

        async Task SendAsync(JsonObject chunk)
        {
            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n");
            await context.Response.Body.FlushAsync();
        }
    }

    /// <summary>Texts embedded so far, and by which model.</summary>
    public ConcurrentQueue<(string Model, int Inputs)> Embeddings { get; } = new();

    /// <summary>
    /// Deterministic embeddings: a bag of lower-case words hashed into 256 dimensions. Texts sharing words are close,
    /// which is enough for retrieval to find the document a question is about.
    /// </summary>
    private async Task EmbedAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!;
        var inputs = body["input"] is JsonArray array ? array.Select(i => i!.GetValue<string>()).ToList() : [body["input"]!.GetValue<string>()];
        var model = body["model"]!.GetValue<string>();
        Embeddings.Enqueue((model, inputs.Count));
        var data = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = new float[256];
            foreach (System.Text.RegularExpressions.Match w in System.Text.RegularExpressions.Regex.Matches(inputs[i].ToLowerInvariant(), "[a-z0-9]{3,}"))
            {
                vector[(int)(Fnv(w.Value) % 256)] += 1;
            }

            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = new JsonArray([.. vector.Select(v => (JsonNode)v)]) });
        }

        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["object"] = "list", ["data"] = data, ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = inputs.Count * 10, ["total_tokens"] = inputs.Count * 10 },
        });
    }

    private static uint Fnv(string word)
    {
        var hash = 2166136261u;
        foreach (var c in word)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
