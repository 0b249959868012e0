using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Core.Accounts;
using Portal.Core.Assistant;
using Portal.Core.Templates;

namespace Portal.Web.Endpoints;

/// <summary><c>{"question", "conversationId"?}</c>.</summary>
public sealed record AskRequest(string? Question, Guid? ConversationId);

/// <summary>An assistant the caller may use.</summary>
public sealed record AssistantSummary(string Id, string Industry, LocalizedText Title, LocalizedText Description, string Engine, bool Generative);

public sealed record RenameConversationRequest(string? Title);

public sealed record GradedWorkRuleRequest(bool Refuse);

/// <summary>Assistants, their knowledge and conversations over the API.</summary>
internal static class AssistantEndpoints
{
    public static void MapAssistantEndpoints(this RouteGroupBuilder v1)
    {
        var assistants = v1.MapGroup("/assistants").WithTags("Assistants");
        assistants.MapGet("/", async (AssistantService service, CancellationToken ct) =>
                TypedResults.Ok((await service.AssistantsAsync(ct)).Select(p => new AssistantSummary(
                    p.Id, p.Manifest.Industry, p.Manifest.Title, p.Manifest.Description, service.EngineName, service.IsGenerative)).ToList()))
            .WithName("ListAssistants").WithSummary("The assistants you may use and the engine that answers");
        assistants.MapPost("/{id}/ask", AskAsync)
            .WithName("Ask")
            .WithSummary("Ask an assistant; the answer comes with the passages it cites, the engine that answered and the tokens used")
            .WithDescription("Give a conversationId to continue a conversation (yours only); without one a new conversation is started. Metered as LlmTokens.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        var conversations = v1.MapGroup("/conversations").WithTags("Assistants");
        conversations.MapGet("/", async (AssistantService service, string? templateId, CancellationToken ct) => TypedResults.Ok(await service.ListConversationsAsync(templateId, ct)))
            .WithName("ListConversations").WithSummary("Your conversations, newest first");
        conversations.MapGet("/{id:guid}", async Task<Results<Ok<ConversationDetail>, ProblemHttpResult>> (Guid id, AssistantService service, CancellationToken ct) =>
                await service.GetConversationAsync(id, ct) is { } c
                    ? TypedResults.Ok(new ConversationDetail(c.Conversation, [.. c.Messages.Select(m => new MessageDto(m.Id, m.Role, m.Content, m.Citations, m.Engine, m.PromptTokens, m.CompletionTokens, m.Stopped, m.CreatedAt))]))
                    : TypedResults.Problem(title: "Not found", detail: "There is no such conversation.", statusCode: StatusCodes.Status404NotFound))
            .WithName("GetConversation").WithSummary("One of your conversations with its messages and citations");
        conversations.MapPatch("/{id:guid}", async (Guid id, RenameConversationRequest request, AssistantService service, CancellationToken ct) =>
            {
                await service.RenameConversationAsync(id, request.Title ?? string.Empty, ct);
                return TypedResults.NoContent();
            })
            .WithName("RenameConversation").WithSummary("Rename one of your conversations");
        conversations.MapDelete("/{id:guid}", async (Guid id, AssistantService service, CancellationToken ct) =>
            {
                await service.DeleteConversationAsync(id, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteConversation").WithSummary("Delete one of your conversations");

        var knowledge = v1.MapGroup("/knowledge").WithTags("Assistants");
        knowledge.MapGet("/", async (KnowledgeService service, CancellationToken ct) => TypedResults.Ok(await service.ListAsync(ct)))
            .WithName("ListKnowledge").WithSummary("Your organisation's documents for its assistants");
        knowledge.MapPost("/", AddDocumentAsync).DisableAntiforgery()
            .RequireAuthorization(PortalPolicies.TenantAdmin)
            .WithName("AddKnowledge").WithSummary("Add a document (multipart 'file': .txt, .md, .pdf or .docx; optional 'title'); it is split, embedded and used at once (TenantAdmin)");
        knowledge.MapPost("/{id:guid}/reindex", async (Guid id, KnowledgeService service, CancellationToken ct) => TypedResults.Ok(await service.ReindexAsync(id, ct)))
            .RequireAuthorization(PortalPolicies.TenantAdmin)
            .WithName("ReindexKnowledge").WithSummary("Split and embed a document again (TenantAdmin)");
        knowledge.MapDelete("/{id:guid}", async (Guid id, KnowledgeService service, CancellationToken ct) =>
            {
                await service.DeleteAsync(id, ct);
                return TypedResults.NoContent();
            })
            .RequireAuthorization(PortalPolicies.TenantAdmin)
            .WithName("DeleteKnowledge").WithSummary("Delete a document and its passages (TenantAdmin)");
        knowledge.MapPut("/graded-work-rule", async (GradedWorkRuleRequest request, AssistantService service, CancellationToken ct) =>
            {
                await service.SetRefuseGradedWorkAsync(request.Refuse, ct);
                return TypedResults.NoContent();
            })
            .RequireAuthorization(PortalPolicies.TenantAdmin)
            .WithName("SetGradedWorkRule").WithSummary("Whether the course assistant declines to do graded work for students (TenantAdmin)");
    }

    private static async Task<Results<Ok<AskResponse>, ProblemHttpResult>> AskAsync(string id, AskRequest request, AssistantService service, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Question))
        {
            return TypedResults.Problem(title: "No question", detail: "Send {\"question\": \"...\"}.", statusCode: StatusCodes.Status400BadRequest);
        }

        var answer = await service.AskAsync(id, request.Question, request.ConversationId, ct);
        return TypedResults.Ok(new AskResponse(
            answer.Answer,
            [.. answer.Citations.Select(c => new CitationDto(c.Number, c.Document, c.Heading, c.Passage, c.Score, c.Attribution))],
            answer.Engine,
            new UsageDto(answer.Usage.PromptTokens, answer.Usage.CompletionTokens, answer.Usage.TotalTokens),
            answer.ConversationId));
    }

    private static async Task<Results<Created<KnowledgeDocumentSummary>, ProblemHttpResult>> AddDocumentAsync(HttpRequest request, KnowledgeService service, CancellationToken ct)
    {
        if (!request.HasFormContentType)
        {
            return TypedResults.Problem(title: "No file", detail: "Send the document as multipart form data with a 'file' field.", statusCode: StatusCodes.Status400BadRequest);
        }

        var form = await request.ReadFormAsync(ct);
        if (form.Files.GetFile("file") is not { } file)
        {
            return TypedResults.Problem(title: "No file", detail: "Send the document in a 'file' field.", statusCode: StatusCodes.Status400BadRequest);
        }

        await using var stream = file.OpenReadStream();
        var added = await service.AddAsync(file.FileName, stream, form["title"].FirstOrDefault(), ct);
        return TypedResults.Created($"{ApiPaths.V1}/knowledge/{added.Id}", added);
    }
}

public sealed record CitationDto(int Number, string Document, string Heading, string Passage, double Score, string? Attribution);

public sealed record UsageDto(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record AskResponse(string Answer, IReadOnlyList<CitationDto> Citations, string Engine, UsageDto Usage, Guid ConversationId);

public sealed record MessageDto(long Id, string Role, string Content, IReadOnlyList<Citation> Citations, string? Engine, int PromptTokens, int CompletionTokens, bool Stopped, DateTimeOffset CreatedAt);

public sealed record ConversationDetail(ConversationSummary Conversation, IReadOnlyList<MessageDto> Messages);
