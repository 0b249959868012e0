namespace Portal.Core.Assistant;

/// <summary>One message of a conversation as an engine sees it.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>Tokens of one answer: the prompt (question, history and passages) and the completion.</summary>
public sealed record AssistantUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>What an answer stream carries: pieces of text, then the citations, then the end with usage.</summary>
public abstract record AnswerEvent;

/// <summary>The answer has started in this conversation (sent first, so that a stopped answer's conversation is known).</summary>
public sealed record AnswerStarted(Guid ConversationId) : AnswerEvent;

/// <summary>A piece of the answer's text.</summary>
public sealed record AnswerDelta(string Text) : AnswerEvent;

/// <summary>The passages the answer cites (numbers as used in the text).</summary>
public sealed record AnswerCitations(IReadOnlyList<Citation> Citations) : AnswerEvent;

/// <summary>The answer is complete (or was stopped): the engine that answered, tokens, and the stored message.</summary>
public sealed record AnswerCompleted(string Engine, AssistantUsage Usage, Guid ConversationId, long MessageId, bool Stopped) : AnswerEvent;

/// <summary>Everything an engine needs for one answer.</summary>
/// <param name="Pack">The assistant template.</param>
/// <param name="History">Earlier turns, oldest first, without the question.</param>
/// <param name="Question">The user's latest message.</param>
/// <param name="Organisation">The tenant's name (for prompts).</param>
/// <param name="RefuseGradedWork">The teacher asked the tutor not to do graded work.</param>
public sealed record AnswerContext(
    Templates.TemplatePack Pack, IReadOnlyList<ChatTurn> History, string Question, string Organisation, bool RefuseGradedWork);

/// <summary>Answers a question for an assistant template, streaming.</summary>
public interface IAssistantEngine
{
    /// <summary>Shown to users and returned by the API as <c>engine</c> (e.g. <c>local-retrieval</c>).</summary>
    string Name { get; }

    /// <summary>True when the engine writes new text (an LLM); false for the built-in engine, which quotes the material.</summary>
    bool IsGenerative { get; }

    IAsyncEnumerable<AnswerEvent> AnswerAsync(AnswerContext context, CancellationToken cancellationToken);
}

/// <summary>The assistant cannot be used as asked, with a message fit for the user.</summary>
public sealed class AssistantRequestException(string format, params object[] args) : LocalizableException(new LocalizableText(format, args));

/// <summary>The kinds of assistant (<c>assistant.mode</c> in <c>template.json</c>).</summary>
public static class AssistantModes
{
    /// <summary>Answers from the organisation's documents, with citations.</summary>
    public const string Tutor = "tutor";

    /// <summary>Scores a loan application with the credit-risk model and drafts a decision memo.</summary>
    public const string LoanCopilot = "loan-copilot";

    /// <summary>Summarises a clinical note into key findings and a plain-language version.</summary>
    public const string NoteSummary = "note-summary";

    public static IReadOnlyList<string> All { get; } = [Tutor, LoanCopilot, NoteSummary];
}
