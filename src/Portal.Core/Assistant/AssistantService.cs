using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Accounts;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Quotas;
using Portal.Core.Templates;
using Portal.Core.Tenancy;
using Portal.Core.Usage;

namespace Portal.Core.Assistant;

/// <summary>A conversation as listed.</summary>
public sealed record ConversationSummary(Guid Id, string TemplateId, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A complete answer (the API's non-streaming form).</summary>
public sealed record AssistantAnswer(string Answer, IReadOnlyList<Citation> Citations, string Engine, AssistantUsage Usage, Guid ConversationId, long MessageId);

/// <summary>
/// Runs assistant templates for the caller: checks access, keeps the conversation (the caller's own), reserves
/// <see cref="QuotaMetric.LlmTokens"/> before the engine runs and settles the tokens actually used after it (nothing
/// when it failed; what was produced when the user stopped it), and stores both turns. The browser's chat, the
/// <c>ask</c> API and the OpenAI-compatible API all come through here.
/// </summary>
public sealed class AssistantService(
    IDbContextFactory<PortalDbContext> dbFactory,
    ITenantContext tenantContext,
    ITemplateCatalog catalog,
    TemplateAccessService access,
    IQuotaService quota,
    IAssistantEngine engine,
    ITextEmbedder tokens,
    SystemDbContextFactory systemDb,
    IAuditLog audit,
    TimeProvider clock)
{
    /// <summary>Most a single answer may use; the reservation is the prompt plus this.</summary>
    public const int MaxCompletionTokens = 1_000;

    public string EngineName => engine.Name;

    public bool IsGenerative => engine.IsGenerative;

    /// <summary>The assistant templates the caller may use (students: the course assistant only).</summary>
    public async Task<IReadOnlyList<TemplatePack>> AssistantsAsync(CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        var visible = await access.VisibleAsync(cancellationToken);
        return [.. visible.Where(p => p.Manifest.Kind == TemplateKinds.Assistant && (!caller.IsInRole(PortalRoles.Student) || p.Manifest.Assistant!.Mode == AssistantModes.Tutor))];
    }

    /// <summary>Answers <paramref name="question"/> in a conversation (a new one when null), streaming; both turns are stored.</summary>
    public async IAsyncEnumerable<AnswerEvent> StreamAsync(
        string templateId, string question, Guid? conversationId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        question = CheckQuestion(question);
        var pack = await ResolveAsync(caller, templateId, cancellationToken);
        var (conversation, history) = await OpenConversationAsync(caller, pack, question, conversationId, cancellationToken);
        yield return new AnswerStarted(conversation.Id);
        await foreach (var e in RunAsync(caller, pack, question, history, conversation, cancellationToken))
        {
            yield return e;
        }
    }

    /// <summary>
    /// Answers the last user message of <paramref name="messages"/> with the earlier ones as history, storing nothing
    /// (the OpenAI-compatible API: the client keeps its conversation). Metered like every other answer.
    /// </summary>
    public async IAsyncEnumerable<AnswerEvent> StreamStatelessAsync(
        string templateId, IReadOnlyList<ChatTurn> messages, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        var pack = await ResolveAsync(caller, templateId, cancellationToken);
        var last = messages.LastOrDefault(m => m.Role == "user") ?? throw new AssistantRequestException("Send at least one message with role 'user'.");
        var question = CheckQuestion(last.Content);
        var history = messages.Take(messages.ToList().LastIndexOf(last)).Where(m => m.Role is "user" or "assistant").ToList();
        await foreach (var e in RunAsync(caller, pack, question, history, null, cancellationToken))
        {
            yield return e;
        }
    }

    private async IAsyncEnumerable<AnswerEvent> RunAsync(
        Caller caller, TemplatePack pack, string question, IReadOnlyList<ChatTurn> history, Conversation? conversation,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (organisation, refuseGraded) = await TenantSettingsAsync(caller.TenantId, cancellationToken);
        var estimate = tokens.CountTokens(question) + history.Sum(h => tokens.CountTokens(h.Content)) + 1_500 + MaxCompletionTokens;
        await using var lease = await quota.ReserveAsync(QuotaMetric.LlmTokens, estimate, pack.Id, cancellationToken);

        var answer = new StringBuilder();
        IReadOnlyList<Citation> citations = [];
        AssistantUsage? usage = null;
        string engineName = engine.Name;
        var stopped = false;
        await using (var events = engine.AnswerAsync(new AnswerContext(pack, history, question, organisation, refuseGraded), cancellationToken).GetAsyncEnumerator(cancellationToken))
        {
            while (true)
            {
                AnswerEvent current;
                try
                {
                    if (!await events.MoveNextAsync())
                    {
                        break;
                    }

                    current = events.Current;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    stopped = true;
                    break;
                }

                switch (current)
                {
                    case AnswerDelta delta:
                        answer.Append(delta.Text);
                        yield return delta;
                        break;
                    case AnswerCitations c:
                        citations = c.Citations;
                        yield return c;
                        break;
                    case AnswerCompleted done:
                        usage = done.Usage;
                        engineName = done.Engine;
                        break;
                }
            }
        }

        // A stopped answer is kept and charged for what was produced; the prompt was sent either way.
        usage ??= new AssistantUsage(
            tokens.CountTokens(question) + history.Sum(h => tokens.CountTokens(h.Content)),
            tokens.CountTokens(answer.ToString()));
        var messageId = conversation is null ? 0 : (await SaveAnswerAsync(conversation, answer.ToString(), citations, usage, engineName, stopped)).Id;
        await lease.SettleAsync(usage.TotalTokens, stopped ? UsageOutcome.Cancelled : UsageOutcome.Succeeded);
        if (!stopped)
        {
            yield return new AnswerCompleted(engineName, usage, conversation?.Id ?? Guid.Empty, messageId, false);
        }
    }

    private static string CheckQuestion(string question)
    {
        question = question.Trim();
        return question.Length is 0 or > 4_000 ? throw new AssistantRequestException("Ask a question of 1 to 4,000 characters.") : question;
    }

    /// <summary>Answers and returns the whole answer at once.</summary>
    public async Task<AssistantAnswer> AskAsync(string templateId, string question, Guid? conversationId, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        IReadOnlyList<Citation> citations = [];
        AnswerCompleted? done = null;
        await foreach (var e in StreamAsync(templateId, question, conversationId, cancellationToken))
        {
            switch (e)
            {
                case AnswerDelta d:
                    text.Append(d.Text);
                    break;
                case AnswerCitations c:
                    citations = c.Citations;
                    break;
                case AnswerCompleted c:
                    done = c;
                    break;
            }
        }

        return new AssistantAnswer(text.ToString(), citations, done!.Engine, done.Usage, done.ConversationId, done.MessageId);
    }

    public async Task<IReadOnlyList<ConversationSummary>> ListConversationsAsync(string? templateId = null, CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var list = await db.Conversations.AsNoTracking()
            .Where(c => c.UserId == caller.UserId && (templateId == null || c.TemplateId == templateId))
            .Select(c => new ConversationSummary(c.Id, c.TemplateId, c.Title, c.CreatedAt, c.UpdatedAt))
            .ToListAsync(cancellationToken);
        return [.. list.OrderByDescending(c => c.UpdatedAt)];
    }

    /// <summary>A conversation of the caller's with its messages, or null (also for other people's conversations).</summary>
    public async Task<(ConversationSummary Conversation, IReadOnlyList<ConversationMessage> Messages)?> GetConversationAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var c = await db.Conversations.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id && c.UserId == caller.UserId, cancellationToken);
        if (c is null)
        {
            return null;
        }

        var messages = await db.ConversationMessages.AsNoTracking().Where(m => m.ConversationId == id).OrderBy(m => m.Id).ToListAsync(cancellationToken);
        return (new ConversationSummary(c.Id, c.TemplateId, c.Title, c.CreatedAt, c.UpdatedAt), messages);
    }

    public async Task RenameConversationAsync(Guid id, string title, CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        title = title.Trim();
        if (title.Length is 0 or > 200)
        {
            throw new AssistantRequestException("A conversation's title is 1 to 200 characters.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var c = await db.Conversations.SingleOrDefaultAsync(c => c.Id == id && c.UserId == caller.UserId, cancellationToken) ?? throw new KeyNotFoundException("There is no such conversation.");
        c.Title = title;
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task DeleteConversationAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var c = await db.Conversations.SingleOrDefaultAsync(c => c.Id == id && c.UserId == caller.UserId, cancellationToken) ?? throw new KeyNotFoundException("There is no such conversation.");
        db.Conversations.Remove(c);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Removes the last answer of a conversation and answers its question again (regenerate).</summary>
    public async Task<string> TakeBackLastAnswerAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        _ = await db.Conversations.SingleOrDefaultAsync(c => c.Id == id && c.UserId == caller.UserId, cancellationToken) ?? throw new KeyNotFoundException("There is no such conversation.");
        var last = await db.ConversationMessages.Where(m => m.ConversationId == id).OrderByDescending(m => m.Id).Take(2).ToListAsync(cancellationToken);
        if (last.Count < 2 || last[0].Role != "assistant" || last[1].Role != "user")
        {
            throw new AssistantRequestException("There is no answer to regenerate.");
        }

        db.ConversationMessages.RemoveRange(last);
        await db.SaveChangesAsync(cancellationToken);
        return last[1].Content;
    }

    /// <summary>Whether the course assistant declines graded work in the caller's organisation; tenant admins change it.</summary>
    public async Task SetRefuseGradedWorkAsync(bool refuse, CancellationToken cancellationToken = default)
    {
        var caller = tenantContext.Caller is { } c && (c.IsInRole(PortalRoles.TenantAdmin) || c.IsPlatformAdmin)
            ? c
            : throw new UnauthorizedAccessException("Only a teacher or administrator changes the assistant's rules.");
        await using var db = systemDb.CreateDbContext();
        var tenant = await db.Tenants.SingleAsync(t => t.Id == caller.TenantId, cancellationToken);
        if (tenant.AssistantRefusesGradedWork != refuse)
        {
            tenant.AssistantRefusesGradedWork = refuse;
            await db.SaveChangesAsync(cancellationToken);
            await audit.WriteAsync(tenant.Id, AuditActions.AssistantGradedWorkRule, tenant.Slug, $"refuse={!refuse}", $"refuse={refuse}", cancellationToken);
        }
    }

    public async Task<bool> RefusesGradedWorkAsync(CancellationToken cancellationToken = default) =>
        (await TenantSettingsAsync(RequireCaller().TenantId, cancellationToken)).RefuseGraded;

    private async Task<TemplatePack> ResolveAsync(Caller caller, string templateId, CancellationToken cancellationToken)
    {
        var pack = catalog.Find(templateId);
        if (pack is null || pack.Manifest.Kind != TemplateKinds.Assistant)
        {
            throw new KeyNotFoundException($"There is no assistant '{templateId}'.");
        }

        await access.EnsureAllowedAsync(templateId, cancellationToken);
        if (caller.IsInRole(PortalRoles.Student) && pack.Manifest.Assistant!.Mode != AssistantModes.Tutor)
        {
            throw new UnauthorizedAccessException("Students use the course assistant only.");
        }

        return pack;
    }

    private async Task<(Conversation, IReadOnlyList<ChatTurn>)> OpenConversationAsync(
        Caller caller, TemplatePack pack, string question, Guid? conversationId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        Conversation conversation;
        List<ChatTurn> history = [];
        if (conversationId is { } id)
        {
            conversation = await db.Conversations.SingleOrDefaultAsync(c => c.Id == id && c.UserId == caller.UserId, cancellationToken)
                ?? throw new KeyNotFoundException("There is no such conversation.");
            if (conversation.TemplateId != pack.Id)
            {
                throw new AssistantRequestException("That conversation belongs to another assistant.");
            }

            history = await db.ConversationMessages.AsNoTracking().Where(m => m.ConversationId == id && !m.Stopped).OrderBy(m => m.Id)
                .Select(m => new ChatTurn(m.Role, m.Content)).ToListAsync(cancellationToken);
            conversation.UpdatedAt = now;
        }
        else
        {
            conversation = new Conversation
            {
                TenantId = caller.TenantId, UserId = caller.UserId, TemplateId = pack.Id,
                Title = question.Length <= 60 ? question : question[..57] + "…", CreatedAt = now, UpdatedAt = now,
            };
            db.Conversations.Add(conversation);
        }

        db.ConversationMessages.Add(new ConversationMessage { ConversationId = conversation.Id, Role = "user", Content = question, CreatedAt = now });
        await db.SaveChangesAsync(cancellationToken);
        return (conversation, history);
    }

    private async Task<ConversationMessage> SaveAnswerAsync(Conversation conversation, string text, IReadOnlyList<Citation> citations, AssistantUsage usage, string engineName, bool stopped)
    {
        // Stored even when the user went away: what was produced was also charged.
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var message = new ConversationMessage
        {
            ConversationId = conversation.Id, Role = "assistant", Content = text, Citations = [.. citations], Engine = engineName,
            PromptTokens = usage.PromptTokens, CompletionTokens = usage.CompletionTokens, Stopped = stopped, CreatedAt = clock.GetUtcNow(),
        };
        db.ConversationMessages.Add(message);
        await db.SaveChangesAsync(CancellationToken.None);
        return message;
    }

    private async Task<(string Organisation, bool RefuseGraded)> TenantSettingsAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var db = systemDb.CreateDbContext();
        var t = await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => new { t.Name, t.AssistantRefusesGradedWork }).SingleAsync(cancellationToken);
        return (t.Name, t.AssistantRefusesGradedWork);
    }

    private Caller RequireCaller() => tenantContext.Caller ?? throw new TenantAccessException("The assistant needs a signed-in caller.");
}
