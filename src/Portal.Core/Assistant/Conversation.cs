using Portal.Core.Tenancy;

namespace Portal.Core.Assistant;

/// <summary>A user's conversation with one assistant template. Only its owner sees it.</summary>
public sealed class Conversation : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public required string UserId { get; set; }

    public required string TemplateId { get; set; }

    public required string Title { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One turn: the user's question or the assistant's answer with its citations and token counts.</summary>
public sealed class ConversationMessage : ITenantOwned
{
    public long Id { get; set; }

    public Guid TenantId { get; set; }

    public Guid ConversationId { get; set; }

    /// <summary><c>user</c> or <c>assistant</c>.</summary>
    public required string Role { get; set; }

    public required string Content { get; set; }

    public List<Citation> Citations { get; set; } = [];

    /// <summary>Which engine answered (e.g. <c>local-retrieval</c>, <c>openai:gpt-4o-mini</c>).</summary>
    public string? Engine { get; set; }

    public int PromptTokens { get; set; }

    public int CompletionTokens { get; set; }

    /// <summary>The user stopped the answer; <see cref="Content"/> is what had arrived.</summary>
    public bool Stopped { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A cited passage: its number in the answer, document, headings, text and similarity to the question.</summary>
public sealed record Citation(int Number, Guid DocumentId, string Document, string Heading, string Passage, double Score, string? Attribution = null);
