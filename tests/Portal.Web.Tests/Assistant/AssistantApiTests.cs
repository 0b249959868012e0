using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Portal.Core.Data;
using Portal.Core.Quotas;

namespace Portal.Web.Tests.Assistant;

/// <summary>The course assistant over the API with the built-in engine: cited answers, honest refusals, teachers' documents, metering, the OpenAI door.</summary>
public sealed class AssistantApiTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    internal static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private Task<HttpResponseMessage> AskAsync(HttpClient client, string question, Guid? conversationId = null) =>
        client.PostAsJsonAsync("/api/v1/assistants/education-assistant/ask", new { question, conversationId });

    [Fact]
    public async Task A_student_gets_an_answer_quoted_from_the_course_with_citations_and_the_tokens_are_metered()
    {
        var student = factory.CreateApiClient(PortalWebFactory.StudentKey);
        var answer = await JsonAsync(await AskAsync(student, "What is a tuple?"));

        Assert.Equal("local-retrieval", answer.GetProperty("engine").GetString());
        Assert.Contains("A tuple is a sequence of comma separated values", answer.GetProperty("answer").GetString(), StringComparison.Ordinal);
        var citation = answer.GetProperty("citations").EnumerateArray().First();
        Assert.Equal("Chapter 3: Objects", citation.GetProperty("document").GetString());
        Assert.Contains("tuple", citation.GetProperty("passage").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.InRange(citation.GetProperty("score").GetDouble(), 0.35, 1);
        Assert.Contains("CC BY 4.0", citation.GetProperty("attribution").GetString(), StringComparison.Ordinal);
        var total = answer.GetProperty("usage").GetProperty("totalTokens").GetInt32();
        Assert.True(total > 20, $"{total} tokens");

        // A follow-up in the same conversation; both turns are stored and the conversation is the student's.
        var conversationId = answer.GetProperty("conversationId").GetGuid();
        await JsonAsync(await AskAsync(student, "How is a list different from it?", conversationId));
        var conversation = await JsonAsync(await student.GetAsync($"/api/v1/conversations/{conversationId}"));
        Assert.Equal(4, conversation.GetProperty("messages").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey).GetAsync($"/api/v1/conversations/{conversationId}")).StatusCode);

        await using var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var charged = await db.UsageRecords.Where(r => r.Metric == QuotaMetric.LlmTokens && r.TemplateId == "education-assistant").SumAsync(r => r.Amount);
        Assert.True(charged >= total, $"charged {charged}, first answer {total}");
    }

    [Fact]
    public async Task A_question_the_material_does_not_cover_is_answered_honestly_without_citations()
    {
        var answer = await JsonAsync(await AskAsync(factory.CreateApiClient(PortalWebFactory.StudentKey), "What is the capital of France?"));
        Assert.StartsWith("I could not find this in your course material", answer.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, answer.GetProperty("citations").GetArrayLength());

        // Asked in Chinese, the engine's own words are Chinese.
        var chinese = await JsonAsync(await AskAsync(factory.CreateApiClient(PortalWebFactory.StudentKey), "法国的首都是哪里？"));
        Assert.StartsWith("我在课程资料中没有找到相关内容，所以不会猜测。", chinese.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, chinese.GetProperty("citations").GetArrayLength());
    }

    [Fact]
    public async Task With_the_teachers_rule_on_the_tutor_declines_graded_work_but_points_to_the_material()
    {
        var answer = await JsonAsync(await AskAsync(factory.CreateApiClient(PortalWebFactory.StudentKey), "Please write the answers to my homework exercise on for loops"));
        Assert.StartsWith("I can't do graded work for you", answer.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.True(answer.GetProperty("citations").GetArrayLength() >= 1);
    }

    [Fact]
    public async Task A_teachers_new_document_is_used_at_once_and_deleting_it_removes_it()
    {
        var teacher = factory.CreateApiClient(PortalWebFactory.SchoolAdminKey);
        var student = factory.CreateApiClient(PortalWebFactory.StudentKey);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("# Exam information\n\nThe final Python exam takes place on 12 June in room B4 and lasts ninety minutes. Bring your student card; calculators are not allowed.\n"u8.ToArray()), "file", "exam.md" },
            { new StringContent("Exam information"), "title" },
        };
        var added = await JsonAsync(await teacher.PostAsync("/api/v1/knowledge", form));
        Assert.Equal(1, added.GetProperty("passages").GetInt32());

        var answer = await JsonAsync(await AskAsync(student, "When and where is the final exam?"));
        Assert.Contains("12 June in room B4", answer.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal("Exam information", answer.GetProperty("citations")[0].GetProperty("document").GetString());

        // Students may not add documents; other schools do not see this one.
        Assert.Equal(HttpStatusCode.Forbidden, (await student.PostAsync("/api/v1/knowledge", new MultipartFormDataContent())).StatusCode);
        var hospital = await JsonAsync(await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey).GetAsync("/api/v1/knowledge"));
        Assert.Equal(0, hospital.GetArrayLength());

        var reindexed = await JsonAsync(await teacher.PostAsync($"/api/v1/knowledge/{added.GetProperty("id").GetGuid()}/reindex", null));
        Assert.Equal(1, reindexed.GetProperty("passages").GetInt32());
        Assert.Contains("12 June in room B4", (await JsonAsync(await AskAsync(student, "When and where is the final exam?"))).GetProperty("answer").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await teacher.DeleteAsync($"/api/v1/knowledge/{added.GetProperty("id").GetGuid()}")).StatusCode);
        var after = await JsonAsync(await AskAsync(student, "When and where is the final exam?"));
        Assert.DoesNotContain("room B4", after.GetProperty("answer").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_documents_get_a_clear_message()
    {
        var teacher = factory.CreateApiClient(PortalWebFactory.SchoolAdminKey);
        foreach (var (bytes, name, message) in new[]
        {
            (new byte[] { 0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0 }, "notes.md", "not text"),
            ("hello"u8.ToArray(), "notes.exe", "cannot be added"),
            (Array.Empty<byte>(), "empty.txt", "empty"),
        })
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", name } };
            var response = await teacher.PostAsync("/api/v1/knowledge", form);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "'model' is required")]
    [InlineData("{\"model\":5,\"messages\":[]}", "must be a string")]
    [InlineData("{\"model\":\"education-assistant\",\"messages\":\"hi\"}", "'messages' is required")]
    [InlineData("{\"model\":\"education-assistant\",\"messages\":[\"hi\"]}", "is an object")]
    [InlineData("{\"model\":\"education-assistant\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "'stream' must be true or false")]
    [InlineData("{\"model\":\"education-assistant\",\"messages\":[{\"role\":\"system\",\"content\":\"hi\"}]}", "role 'user'")]
    public async Task Malformed_chat_requests_get_400_in_openais_shape(string body, string message)
    {
        var response = await factory.CreateApiClient(PortalWebFactory.StudentKey).PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_official_openai_client_lists_models_and_gets_completions_plain_and_streamed()
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(factory.Server.BaseAddress, "/v1"), Transport = new HttpClientPipelineTransport(factory.CreateClient()) };
        var client = new OpenAIClient(new ApiKeyCredential(PortalWebFactory.StudentKey), options);

        var models = await client.GetOpenAIModelClient().GetModelsAsync();
        Assert.Equal(["education-assistant"], models.Value.Select(m => m.Id));

        var chat = client.GetChatClient("education-assistant");
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("What does PEP 8 recommend for the length of a line of code?")]);
        Assert.True(completion.Content[0].Text.Contains("less than 80 characters", StringComparison.Ordinal), completion.Content[0].Text);
        Assert.True(completion.Usage.TotalTokenCount > 0);

        var streamed = new System.Text.StringBuilder();
        var chunks = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("What is a tuple?")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
                chunks++;
            }
        }

        Assert.True(chunks > 5, $"{chunks} chunks");
        Assert.Contains("A tuple is a sequence", streamed.ToString(), StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => client.GetChatClient("no-such-model").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, unknown.Status);
        Assert.Contains("model_not_found", unknown.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);

        var wrongKey = new OpenAIClient(new ApiKeyCredential("ptl_not-a-real-key-0000000000000000"), options);
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => wrongKey.GetChatClient("education-assistant").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, refused.Status);
        Assert.Contains("\"error\"", refused.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>The loan copilot and the note summary with the built-in engine.</summary>
public sealed class CopilotAndSummaryTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    /// <summary>The credit template's first sample row as <c>name: value</c> lines (the copilot's example).</summary>
    internal static string SampleApplication()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "templates", "finance-credit-risk", "sample.csv"));
        var header = lines[0].Split(',');
        var first = lines[1].Split(',');
        return string.Join("\n", header.Zip(first).Where(p => p.First != "credit_risk").Select(p => $"{p.First}: {p.Second}"));
    }

    private static Task<JsonElement> JsonAsync(HttpResponseMessage response) => AssistantApiTests.JsonAsync(response);

    [Fact]
    public async Task The_copilot_scores_the_application_with_the_credit_model_and_composes_the_memo_from_score_and_explanation()
    {
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        var application = SampleApplication();
        var memo = await JsonAsync(await bank.PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = application }));

        // The same probability as the model's own API for the same row.
        var row = application.Split('\n').Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => (object)p[1]);
        var scored = await JsonAsync(await bank.PostAsJsonAsync("/api/v1/templates/finance-credit-risk/predict", new { rows = new[] { row } }));
        var probability = scored.GetProperty("predictions")[0].GetProperty("probability").GetDouble();

        var text = memo.GetProperty("answer").GetString()!;
        Assert.Contains($"Estimated probability of bad credit: {probability.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)}", text, StringComparison.Ordinal);
        Assert.Contains("Suggested next step:", text, StringComparison.Ordinal);
        Assert.Matches(@"- \w+ = \S+ \(typical: \S+\): [+-]\d+\.\d", text);
        Assert.Contains("No generative model is configured", text, StringComparison.Ordinal);
        Assert.Equal("local-retrieval", memo.GetProperty("engine").GetString());

        await using var db = factory.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var usage = await db.UsageRecords.Where(r => r.TemplateId == "finance-credit-risk" || r.TemplateId == "finance-loan-copilot").ToListAsync();
        Assert.Contains(usage, u => u is { Metric: QuotaMetric.PredictionRows, TemplateId: "finance-credit-risk", Amount: 1 });
        Assert.Contains(usage, u => u is { Metric: QuotaMetric.LlmTokens, TemplateId: "finance-loan-copilot" } && u.Amount > 0);
    }

    [Fact]
    public async Task A_caller_reading_in_Chinese_gets_the_memo_and_the_summary_in_Chinese_with_the_same_figures_and_quotes()
    {
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        bank.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        var application = SampleApplication();
        var english = (await JsonAsync(await factory.CreateApiClient(PortalWebFactory.BankAdminKey).PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = application })))
            .GetProperty("answer").GetString()!;
        var memo = (await JsonAsync(await bank.PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = application }))).GetProperty("answer").GetString()!;

        var probability = System.Text.RegularExpressions.Regex.Match(english, @"Estimated probability of bad credit: ([\d.]+ %)").Groups[1].Value;
        Assert.NotEmpty(probability);
        Assert.Contains($"估计的不良信用概率：{probability}（", memo, StringComparison.Ordinal);
        Assert.Contains("建议的下一步：", memo, StringComparison.Ordinal);
        Assert.Matches(@"- \w+ = \S+（典型值：\S+）：[+-]\d+\.\d", memo);
        Assert.DoesNotContain("Estimated", memo, StringComparison.Ordinal);

        var incomplete = (await JsonAsync(await bank.PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = "duration_months: 12" }))).GetProperty("answer").GetString()!;
        Assert.Contains("缺少：", incomplete, StringComparison.Ordinal);
        Assert.Contains("- checking_account（以下之一：", incomplete, StringComparison.Ordinal);

        // A note written in Chinese: its sentences are found (no spaces between words) and quoted as they are.
        const string note = "患者男性，六十七岁，因气短和脚踝水肿加重两天入院。既往有高血压和二型糖尿病病史。胸片显示心脏扩大和肺淤血。"
            + "超声心动图显示射血分数为百分之三十五。静脉注射呋塞米后，四十八小时内呼吸改善。出院当天天气晴朗。计划：开始服用比索洛尔，每日称重，限制液体摄入，两周后心内科随访。";
        var summary = (await JsonAsync(await factory.CreateApiClient(PortalWebFactory.HospitalMemberKey)
            .PostAsJsonAsync("/api/v1/assistants/medical-note-summary/ask", new { question = note }))).GetProperty("answer").GetString()!;
        Assert.StartsWith("要点（记录中最核心的句子，原文引用）：", summary, StringComparison.Ordinal);
        var quoted = summary.Split('\n').Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
        Assert.InRange(quoted.Count, 2, 5);
        Assert.All(quoted, q => Assert.Contains(q, note, StringComparison.Ordinal));
        Assert.EndsWith("本摘要不是医疗建议，不能代替临床医生的判断；请对照完整记录核对。", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_incomplete_application_is_answered_with_what_is_missing_and_nothing_is_scored()
    {
        var bank = factory.CreateApiClient(PortalWebFactory.BankAdminKey);
        var memo = await JsonAsync(await bank.PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = "duration_months: 12\ncredit amount = 3000" }));
        var text = memo.GetProperty("answer").GetString()!;
        Assert.Contains("Missing:", text, StringComparison.Ordinal);
        Assert.Contains("- checking_account (one of:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("- duration_months", text, StringComparison.Ordinal);
        Assert.DoesNotContain("- credit_amount", text, StringComparison.Ordinal);

        var invalid = await JsonAsync(await bank.PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = SampleApplication().Replace("duration_months: 12", "duration_months: 9999", StringComparison.Ordinal) }));
        Assert.Contains("duration_months:", invalid.GetProperty("answer").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_note_summary_quotes_the_most_central_sentences_and_carries_the_disclaimer()
    {
        var note = "Patient is a 67-year-old man admitted with two days of worsening shortness of breath and ankle swelling. He has a history of hypertension and type 2 diabetes. "
            + "Chest X-ray showed cardiomegaly and pulmonary congestion. BNP was markedly raised at 1,450 pg/mL. Echocardiogram showed an ejection fraction of 35 percent. "
            + "He was started on intravenous furosemide and his breathing improved over 48 hours. The weather was sunny on the day of discharge. "
            + "Plan: start bisoprolol, daily weights, fluid restriction and cardiology follow-up in two weeks.";
        var member = factory.CreateApiClient(PortalWebFactory.HospitalMemberKey);
        var summary = await JsonAsync(await member.PostAsJsonAsync("/api/v1/assistants/medical-note-summary/ask", new { question = note }));
        var text = summary.GetProperty("answer").GetString()!;

        Assert.StartsWith("Key findings", text, StringComparison.Ordinal);
        var quoted = text.Split('\n').Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
        Assert.InRange(quoted.Count, 2, 5);
        Assert.All(quoted, q => Assert.Contains(q, note, StringComparison.Ordinal));
        Assert.DoesNotContain(quoted, q => q.Contains("weather", StringComparison.Ordinal));
        Assert.Contains("no generative model is configured", text, StringComparison.Ordinal);
        Assert.Contains("not medical advice", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Students_use_the_course_assistant_only()
    {
        var student = factory.CreateApiClient(PortalWebFactory.StudentKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await student.PostAsJsonAsync("/api/v1/assistants/finance-loan-copilot/ask", new { question = "hello" })).StatusCode);
        var listed = await JsonAsync(await student.GetAsync("/api/v1/assistants"));
        Assert.Equal(["education-assistant"], listed.EnumerateArray().Select(a => a.GetProperty("id").GetString()));
    }
}
