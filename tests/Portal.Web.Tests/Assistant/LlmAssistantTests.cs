using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Usage;

namespace Portal.Web.Tests.Assistant;

/// <summary>A portal pointed at its own <see cref="FakeOpenAiServer"/>, configured by <see cref="Settings"/>.</summary>
public abstract class FakeLlmFixture : IAsyncLifetime
{
    public FakeOpenAiServer Llm { get; private set; } = null!;

    public PortalWebFactory Portal { get; private set; } = null!;

    /// <summary>The <c>Portal:Llm</c> settings for a server at <paramref name="server"/>.</summary>
    protected abstract IReadOnlyDictionary<string, string> Settings(Uri server);

    public async Task InitializeAsync()
    {
        Llm = await FakeOpenAiServer.StartAsync();
        Portal = new PortalWebFactory();
        foreach (var (key, value) in Settings(Llm.BaseAddress))
        {
            Portal.Settings["Portal:Llm:" + key] = value;
        }
    }

    public async Task DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Llm.DisposeAsync();
    }
}

/// <summary>The portal with <c>Portal:Llm:Provider = OpenAI</c>, short retries and a 3-s time limit.</summary>
public sealed class LlmFixture : FakeLlmFixture
{
    protected override IReadOnlyDictionary<string, string> Settings(Uri server) => new Dictionary<string, string>
    {
        ["Provider"] = "OpenAI", ["Endpoint"] = server.ToString(), ["ApiKey"] = "sk-fake", ["ChatModel"] = "fake-model",
        ["RetryDelay"] = "00:00:00.050", ["MaxRetries"] = "2", ["Timeout"] = "00:00:03",
    };
}

/// <summary>The Semantic Kernel path end to end against a real wire protocol: prompts, streaming, usage, retries, failures.</summary>
public sealed class LlmAssistantTests(LlmFixture fixture) : IClassFixture<LlmFixture>
{
    private HttpClient Student => fixture.Portal.CreateApiClient(PortalWebFactory.StudentKey);

    private async Task<List<UsageRecord>> LlmUsageAsync()
    {
        await using var db = fixture.Portal.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        return await db.UsageRecords.Where(r => r.Metric == QuotaMetric.LlmTokens).OrderBy(r => r.Id).ToListAsync();
    }

    [Fact]
    public async Task The_model_gets_the_packs_prompt_with_the_passages_and_the_answer_is_charged_by_the_servers_usage()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("A tuple holds comma separated values of any type [1].", PromptTokens: 512, CompletionTokens: 17);
        var before = (await LlmUsageAsync()).Count;
        var response = await Student.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "What is a tuple?" });
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("openai:fake-model", answer.GetProperty("engine").GetString());
        Assert.Equal("A tuple holds comma separated values of any type [1].", answer.GetProperty("answer").GetString());
        Assert.Equal(1, answer.GetProperty("citations").GetArrayLength());
        Assert.Contains("tuple", answer.GetProperty("citations")[0].GetProperty("passage").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal((512, 17), (answer.GetProperty("usage").GetProperty("promptTokens").GetInt32(), answer.GetProperty("usage").GetProperty("completionTokens").GetInt32()));

        var request = fixture.Llm.Requests.Last();
        Assert.Equal("fake-model", request["model"]!.GetValue<string>());
        Assert.True(request["stream"]!.GetValue<bool>());
        var messages = request["messages"]!.AsArray();
        var system = messages[0]!["content"]!.GetValue<string>();
        Assert.Equal("system", messages[0]!["role"]!.GetValue<string>());
        Assert.Contains("You are a patient tutor for students of Riverside School.", system, StringComparison.Ordinal);
        Assert.Contains("[1] Chapter 3: Objects", system, StringComparison.Ordinal);
        Assert.Contains("A tuple is a sequence of comma separated values", system, StringComparison.Ordinal);
        Assert.Contains("does not allow you to do graded work", system, StringComparison.Ordinal);
        Assert.Equal(("user", "What is a tuple?"), (messages[^1]!["role"]!.GetValue<string>(), messages[^1]!["content"]!.GetValue<string>()));

        var usage = (await LlmUsageAsync()).Skip(before).Single();
        Assert.Equal((529L, UsageOutcome.Succeeded), (usage.Amount, usage.Outcome));
    }

    [Fact]
    public async Task A_follow_up_sends_the_conversation_so_far()
    {
        fixture.Llm.Reply = (_, n) => new FakeReply($"Answer number {n} [1].");
        var first = await (await Student.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "What is a tuple?" })).Content.ReadFromJsonAsync<JsonElement>();
        var conversation = first.GetProperty("conversationId").GetGuid();
        await Student.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "Can a tuple be changed after it is created?", conversationId = conversation });

        var roles = fixture.Llm.Requests.Last()["messages"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()).ToList();
        Assert.Equal(["system", "user", "assistant", "user"], roles);
    }

    [Fact]
    public async Task A_429_and_a_500_are_retried_with_back_off_and_the_answer_still_arrives()
    {
        var count = fixture.Llm.Requests.Count;
        fixture.Llm.Reply = (_, n) => (n - count) switch
        {
            1 => new FakeReply(string.Empty, Status: 429),
            2 => new FakeReply(string.Empty, Status: 500),
            _ => new FakeReply("Third time lucky [1]."),
        };
        var response = await Student.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "What is a tuple?" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Third time lucky [1].", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("answer").GetString());
        Assert.Equal(3, fixture.Llm.Requests.Count - count);
    }

    [Fact]
    public async Task A_model_that_keeps_failing_gets_502_with_a_clear_message_and_nothing_is_charged()
    {
        var count = fixture.Llm.Requests.Count;
        fixture.Llm.Reply = (_, _) => new FakeReply(string.Empty, Status: 500);
        var before = (await LlmUsageAsync()).Count;
        var response = await Student.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "What is a tuple?" });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("could not be reached or refused", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, fixture.Llm.Requests.Count - count); // the first try and two retries
        var usage = (await LlmUsageAsync()).Skip(before).Single();
        Assert.Equal((0L, UsageOutcome.Failed), (usage.Amount, usage.Outcome));
    }

    [Fact]
    public async Task A_broken_stream_is_an_error_not_a_half_answer_and_nothing_is_charged()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("This answer will break off in the middle of its sentence [1].", BreakAfterWords: 4);
        var before = (await LlmUsageAsync()).Count;
        var response = await Student.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "What is a tuple?" });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        // Whether the client had parsed any chunk before the connection dropped decides between "broke off" and "could not be reached".
        Assert.Matches("broke off|could not be reached", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal((0L, UsageOutcome.Failed), (await LlmUsageAsync()).Skip(before).Select(u => (u.Amount, u.Outcome)).Single());
    }

    [Fact]
    public async Task A_model_slower_than_the_time_limit_is_stopped_with_a_clear_message()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("one two three four five six seven eight nine ten", ChunkDelay: TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await Student.GetAsync("/api/v1/assistants")).StatusCode); // the portal is up before the clock starts
        var started = System.Diagnostics.Stopwatch.StartNew();
        var response = await Student.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "What is a tuple?" });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("did not finish its answer within 3 s", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Stopped at the 3-s limit, well before the fake's 10-s stream would have ended.
        Assert.InRange(started.Elapsed.TotalSeconds, 2.5, 9);
    }

    [Fact]
    public async Task The_openai_door_streams_the_models_chunks_through_and_reports_its_usage()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("Tuples are immutable sequences [1].", PromptTokens: 200, CompletionTokens: 8);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "education-assistant", stream = true, stream_options = new { include_usage = true }, messages = new[] { new { role = "user", content = "What is a tuple?" } } }),
        };
        var response = await Student.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();
        var text = string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]?["content"]?.GetValue<string>()));
        Assert.Equal("Tuples are immutable sequences [1].", text);
        Assert.Equal(208, chunks[^1]["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.Equal("openai:fake-model", chunks.Single(c => c["portal"] is not null)["portal"]!["engine"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_copilot_calls_the_credit_model_as_a_kernel_function_and_the_model_drafts_the_memo_from_its_result()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("Memo: medium risk, refer to an officer.", PromptTokens: 700, CompletionTokens: 30);
        var bank = fixture.Portal.CreateApiClient(PortalWebFactory.BankAdminKey);
        var response = await bank.PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = CopilotAndSummaryTests.SampleApplication() });
        var memo = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Memo: medium risk, refer to an officer.", memo.GetProperty("answer").GetString());
        var system = fixture.Llm.Requests.Last()["messages"]![0]!["content"]!.GetValue<string>();
        Assert.Contains("assistant to a credit officer at Harbour Bank", system, StringComparison.Ordinal);
        Assert.Contains("\"probability\":", system, StringComparison.Ordinal);
        Assert.Contains("\"raisingRisk\":", system, StringComparison.Ordinal);
        Assert.Contains("\"duration_months\":\"12\"", system, StringComparison.Ordinal);

        await using var db = fixture.Portal.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var usage = await db.UsageRecords.Where(r => r.TemplateId == "finance-credit-risk" || r.TemplateId == "finance-loan-copilot").ToListAsync();
        Assert.Contains(usage, u => u is { Metric: QuotaMetric.PredictionRows, Amount: 1 });
        Assert.Contains(usage, u => u is { Metric: QuotaMetric.LlmTokens, Amount: 730 });
    }

    [Fact]
    public async Task The_note_summary_sends_the_note_with_the_packs_instructions_and_disclaimer()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("Key findings: heart failure.\nFor the patient: your heart pumps weakly.");
        var member = fixture.Portal.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var note = "Patient admitted with shortness of breath. Echocardiogram showed an ejection fraction of 35 percent. Started on furosemide.";
        var response = await member.PostAsJsonAsync("/api/v1/assistants/medical-note-summary/ask", new { question = note });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var messages = fixture.Llm.Requests.Last()["messages"]!.AsArray();
        Assert.Contains("This summary is not medical advice", messages[0]!["content"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("St. Mary's Hospital", messages[0]!["content"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(note, messages[^1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stopping_an_answer_keeps_what_arrived_and_charges_only_that()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("one two three four five six seven eight nine ten eleven twelve", ChunkDelay: TimeSpan.FromMilliseconds(150));
        await using var scope = fixture.Portal.Services.CreateAsyncScope();
        await using (var db = scope.ServiceProvider.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var student = await db.Users.SingleAsync(u => u.Email == "student@school.demo");
            scope.ServiceProvider.GetRequiredService<Portal.Core.Tenancy.TenantContext>().Set(new Portal.Core.Tenancy.Caller(student.Id, student.TenantId, [Portal.Core.Accounts.PortalRoles.Student]));
        }

        var assistant = scope.ServiceProvider.GetRequiredService<Portal.Core.Assistant.AssistantService>();
        using var stop = new CancellationTokenSource();
        var received = new System.Text.StringBuilder();
        Guid conversation = default;
        var deltas = 0;
        await foreach (var e in assistant.StreamAsync("education-assistant", "What is a tuple?", null, stop.Token))
        {
            if (e is Portal.Core.Assistant.AnswerStarted started)
            {
                conversation = started.ConversationId;
            }
            else if (e is Portal.Core.Assistant.AnswerDelta d)
            {
                received.Append(d.Text);
                if (++deltas == 3)
                {
                    await stop.CancelAsync();
                }
            }
        }

        Assert.Equal("one two three ", received.ToString());
        var stored = (await assistant.GetConversationAsync(conversation))!.Value.Messages.Last();
        Assert.Equal(("assistant", "one two three ", true), (stored.Role, stored.Content, stored.Stopped));
        var usage = (await LlmUsageAsync()).Last();
        Assert.Equal(UsageOutcome.Cancelled, usage.Outcome);
        Assert.Equal(stored.PromptTokens + stored.CompletionTokens, usage.Amount);
        Assert.InRange(stored.CompletionTokens, 3, 6);
    }

    [Fact]
    public async Task Over_the_token_quota_the_openai_door_answers_429_in_openais_shape()
    {
        await using (var db = fixture.Portal.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var student = await db.Users.SingleAsync(u => u.Email == "member@hospital.demo");
            db.QuotaLimits.Add(new QuotaLimit { TenantId = student.TenantId, Scope = QuotaScope.User, SubjectId = student.Id, Metric = QuotaMetric.LlmTokens, PeriodLimit = 10 });
            await db.SaveChangesAsync();
        }

        var member = fixture.Portal.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var response = await member.PostAsJsonAsync("/v1/chat/completions", new { model = "medical-note-summary", messages = new[] { new { role = "user", content = "Patient admitted with chest pain. ECG normal. Discharged." } } });
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        Assert.Contains("LlmTokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotNull(response.Headers.RetryAfter);
    }
}

/// <summary>The same engine with <c>Provider = AzureOpenAI</c>: Azure's path, api-version and api-key header.</summary>
public sealed class AzureLlmFixture : FakeLlmFixture
{
    protected override IReadOnlyDictionary<string, string> Settings(Uri server) => new Dictionary<string, string>
    {
        ["Provider"] = "AzureOpenAI", ["Endpoint"] = server.GetLeftPart(UriPartial.Authority), ["ApiKey"] = "azure-key", ["ChatModel"] = "tutor-deployment",
    };
}

public sealed class AzureLlmTests(AzureLlmFixture fixture) : IClassFixture<AzureLlmFixture>
{
    [Fact]
    public async Task Azure_openai_is_called_on_the_deployments_path_with_its_key()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("From Azure [1].");
        var response = await fixture.Portal.CreateApiClient(PortalWebFactory.StudentKey)
            .PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "What is a tuple?" });
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("From Azure [1].", "azure-openai:tutor-deployment"), (answer.GetProperty("answer").GetString(), answer.GetProperty("engine").GetString()));
        var request = fixture.Llm.Requests.Last();
        Assert.Equal("/openai/deployments/tutor-deployment/chat/completions", request["_path"]!.GetValue<string>());
        Assert.Equal("api-key azure-key", request["_auth"]!.GetValue<string>());
    }
}

/// <summary>Retrieval with the model server's embedding model instead of the bundled one.</summary>
public sealed class RemoteEmbeddingFixture : FakeLlmFixture
{
    protected override IReadOnlyDictionary<string, string> Settings(Uri server) => new Dictionary<string, string>
    {
        ["Provider"] = "OpenAI", ["Endpoint"] = server.ToString(), ["ChatModel"] = "fake-model", ["EmbeddingModel"] = "fake-embed",
    };
}

public sealed class RemoteEmbeddingTests(RemoteEmbeddingFixture fixture) : IClassFixture<RemoteEmbeddingFixture>
{
    [Fact]
    public async Task Documents_and_questions_are_embedded_by_the_servers_model_and_retrieval_finds_the_document()
    {
        fixture.Llm.Reply = (_, _) => new FakeReply("It is on 12 June in room B4 [1].");
        var teacher = fixture.Portal.CreateApiClient(PortalWebFactory.SchoolAdminKey);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("# Exam information\n\nThe final Python exam takes place on 12 June in room B4 and lasts ninety minutes.\n"u8.ToArray()), "file", "exam.md" },
        };
        Assert.Equal(HttpStatusCode.Created, (await teacher.PostAsync("/api/v1/knowledge", form)).StatusCode);

        var response = await fixture.Portal.CreateApiClient(PortalWebFactory.StudentKey)
            .PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question = "When is the final Python exam and in which room?" });
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("exam", answer.GetProperty("citations")[0].GetProperty("document").GetString());
        Assert.Contains("room B4", fixture.Llm.Requests.Last()["messages"]![0]!["content"]!.GetValue<string>(), StringComparison.Ordinal);

        // The seeded course (382 passages) and the new document were embedded by the server, in batches of at most 64.
        Assert.All(fixture.Llm.Embeddings, e => Assert.Equal("fake-embed", e.Model));
        Assert.All(fixture.Llm.Embeddings, e => Assert.InRange(e.Inputs, 1, 64));
        Assert.True(fixture.Llm.Embeddings.Sum(e => e.Inputs) >= 382 + 1 + 1);
        await using var db = fixture.Portal.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        Assert.All(await db.KnowledgeDocuments.Select(d => d.EmbeddingModel).ToListAsync(), m => Assert.Equal("openai:fake-embed", m));

        // The server's embeddings are metered: the teacher's document (and the seeded course) were charged as LLM tokens.
        var teacherId = await db.Users.Where(u => u.Email == "admin@school.demo").Select(u => u.Id).SingleAsync();
        var indexing = await db.UsageRecords.Where(r => r.UserId == teacherId && r.Metric == QuotaMetric.LlmTokens && r.TemplateId == null).ToListAsync();
        Assert.True(indexing.Count >= 2, $"{indexing.Count} indexing charges");
        Assert.All(indexing, r => Assert.True(r.Amount > 0 && r.Outcome == UsageOutcome.Succeeded));
    }

    [Fact]
    public async Task A_document_indexed_with_another_model_is_indexed_again_in_the_background()
    {
        var services = fixture.Portal.Services;
        Guid id;
        await using (var db = services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            var school = await db.Tenants.SingleAsync(t => t.Slug == "school");
            var doc = new Portal.Core.Assistant.KnowledgeDocument
            {
                TenantId = school.Id, Title = "Old notes", FileName = "old.md", Format = "markdown", Text = "# Old notes\n\nThe computer room closes at five o'clock on Fridays.",
                UploadedBy = "seed", EmbeddingModel = "all-MiniLM-L6-v2/mean", PassageCount = 1,
            };
            db.KnowledgeDocuments.Add(doc);
            db.KnowledgePassages.Add(new Portal.Core.Assistant.KnowledgePassage { TenantId = school.Id, DocumentId = doc.Id, Heading = "Old notes", Text = "stale", Embedding = new byte[384 * 4] });
            await db.SaveChangesAsync();
            id = doc.Id;
        }

        var reindexer = ActivatorUtilities.CreateInstance<Portal.Inference.Assistant.KnowledgeReindexer>(services);
        await reindexer.StartAsync(CancellationToken.None);
        await reindexer.ExecuteTask!;

        await using var check = services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        Assert.Equal("openai:fake-embed", (await check.KnowledgeDocuments.SingleAsync(d => d.Id == id)).EmbeddingModel);
        var passage = await check.KnowledgePassages.SingleAsync(p => p.DocumentId == id);
        Assert.Equal("The computer room closes at five o'clock on Fridays.", passage.Text);
    }
}
