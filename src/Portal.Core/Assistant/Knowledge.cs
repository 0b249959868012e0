using Portal.Core.Tenancy;

namespace Portal.Core.Assistant;

/// <summary>A document of an organisation's knowledge (course material, policies), split into passages for retrieval.</summary>
public sealed class KnowledgeDocument : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public required string Title { get; set; }

    /// <summary>The name the file was uploaded with (display only; never used as a path).</summary>
    public required string FileName { get; set; }

    /// <summary><c>text</c>, <c>markdown</c>, <c>pdf</c> or <c>docx</c>.</summary>
    public required string Format { get; set; }

    public long SizeBytes { get; set; }

    /// <summary>The extracted text, kept so that the document can be re-indexed (e.g. with another embedding model).</summary>
    public required string Text { get; set; }

    /// <summary>Licence and attribution to show wherever the text is cited, when the source requires it.</summary>
    public string? Attribution { get; set; }

    public int PassageCount { get; set; }

    /// <summary>The embedding model the passages were indexed with.</summary>
    public string? EmbeddingModel { get; set; }

    public DateTimeOffset? IndexedAt { get; set; }

    public required string UploadedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One retrievable passage of a document with its embedding.</summary>
public sealed class KnowledgePassage : ITenantOwned
{
    public long Id { get; set; }

    public Guid TenantId { get; set; }

    public Guid DocumentId { get; set; }

    /// <summary>Position in the document, from 0.</summary>
    public int Ordinal { get; set; }

    /// <summary>The headings above the passage (e.g. <c>Chapter 1 › 1.2 Background › Computer programs</c>).</summary>
    public required string Heading { get; set; }

    public required string Text { get; set; }

    /// <summary>Unit-length float32 vector, little-endian.</summary>
    public required byte[] Embedding { get; set; }
}
