using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Datasets;
using Portal.Core.Quotas;
using Portal.Core.Tenancy;

namespace Portal.Core.Assistant;

/// <summary>A document as listed to administrators.</summary>
public sealed record KnowledgeDocumentSummary(Guid Id, string Title, string FileName, string Format, long SizeBytes, int Passages, DateTimeOffset? IndexedAt, string? Attribution, DateTimeOffset CreatedAt);

/// <summary>A document that cannot be used, with a message fit for the user.</summary>
public sealed class KnowledgeDocumentException(string format, params object[] args) : LocalizableException(new LocalizableText(format, args));

/// <summary>
/// An organisation's knowledge for its assistants: documents are read (text, Markdown, PDF, Word), split into passages, embedded
/// once and stored with their vectors in the tenant; searches embed only the question. Adding, re-indexing and deleting
/// is for tenant admins (teachers); searching is for everyone in the tenant. Stored text counts as <c>StorageBytes</c>.
/// </summary>
public sealed class KnowledgeService(
    IDbContextFactory<PortalDbContext> dbFactory,
    ITenantContext tenantContext,
    ITextEmbedder embedder,
    KnowledgeIndex index,
    IQuotaService quota,
    IAuditLog audit,
    IOptions<UploadOptions> uploads,
    TimeProvider clock)
{
    public async Task<IReadOnlyList<KnowledgeDocumentSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var docs = await db.KnowledgeDocuments.AsNoTracking()
            .Select(d => new KnowledgeDocumentSummary(d.Id, d.Title, d.FileName, d.Format, d.SizeBytes, d.PassageCount, d.IndexedAt, d.Attribution, d.CreatedAt))
            .ToListAsync(cancellationToken);
        return [.. docs.OrderBy(d => d.Title, StringComparer.CurrentCultureIgnoreCase)];
    }

    /// <summary>Reads, splits, embeds and stores a document (TenantAdmin).</summary>
    public async Task<KnowledgeDocumentSummary> AddAsync(string fileName, Stream content, string? title = null, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        var extension = Path.GetExtension(fileName);
        if (!DocumentText.Formats.TryGetValue(extension, out var format))
        {
            throw new KnowledgeDocumentException("'{0}' files cannot be added; use {1}.", extension, string.Join(", ", DocumentText.Formats.Keys));
        }

        var text = DocumentText.Read(format, await ReadBytesAsync(content, uploads.Value.MaxBytes, cancellationToken));
        var document = new KnowledgeDocument
        {
            TenantId = caller.TenantId,
            Title = string.IsNullOrWhiteSpace(title) ? Path.GetFileNameWithoutExtension(fileName) : title.Trim(),
            FileName = Path.GetFileName(fileName),
            Format = format,
            SizeBytes = Encoding.UTF8.GetByteCount(text),
            Text = text,
            UploadedBy = caller.UserId,
            CreatedAt = clock.GetUtcNow(),
        };
        await StoreAsync(document, null, cancellationToken);
        await audit.WriteAsync(caller.TenantId, AuditActions.KnowledgeAdded, document.Title, after: $"{document.FileName}; {document.PassageCount} passages", cancellationToken: cancellationToken);
        return Summary(document);
    }

    /// <summary>Stores a document with its passages, charging its text as storage; <paramref name="known"/> supplies vectors computed earlier by hash.</summary>
    internal async Task StoreAsync(KnowledgeDocument document, IReadOnlyDictionary<string, float[]>? known, CancellationToken cancellationToken)
    {
        var passages = PassageSplitter.Split(document.Text);
        if (passages.Count == 0)
        {
            throw new KnowledgeDocumentException("The document has no text to index.");
        }

        var vectors = await EmbedAsync(passages, known, cancellationToken);
        await using var lease = await quota.ReserveAsync(QuotaMetric.StorageBytes, Math.Max(1, document.SizeBytes), null, cancellationToken);
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            document.PassageCount = passages.Count;
            document.EmbeddingModel = embedder.ModelId;
            document.IndexedAt = clock.GetUtcNow();
            db.KnowledgeDocuments.Add(document);
            db.KnowledgePassages.AddRange(passages.Select((p, i) => new KnowledgePassage
            {
                DocumentId = document.Id, Ordinal = i, Heading = p.Heading, Text = p.Text, Embedding = Vectors.ToBytes(vectors[i]),
            }));
            await db.SaveChangesAsync(cancellationToken);
        }

        await lease.SettleAsync(Math.Max(1, document.SizeBytes));
        index.Invalidate(document.TenantId);
    }

    /// <summary>Splits and embeds a document's stored text again (TenantAdmin), e.g. after a change of embedding model.</summary>
    public async Task<KnowledgeDocumentSummary> ReindexAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var document = await db.KnowledgeDocuments.SingleOrDefaultAsync(d => d.Id == id, cancellationToken) ?? throw new KeyNotFoundException("There is no such document.");
        await ReplacePassagesAsync(db, document, embedder, clock.GetUtcNow(), cancellationToken, MeteredEmbedAsync);
        index.Invalidate(caller.TenantId);
        await audit.WriteAsync(caller.TenantId, AuditActions.KnowledgeReindexed, document.Title, after: $"{document.PassageCount} passages", cancellationToken: cancellationToken);
        return Summary(document);
    }

    /// <summary>
    /// Splits a document's stored text again, embeds it with <paramref name="with"/> (through <paramref name="embed"/>
    /// when the embedding is to be metered) and replaces its passages in one transaction (re-indexing on request, and
    /// after a change of embedding model).
    /// </summary>
    public static async Task ReplacePassagesAsync(
        PortalDbContext db, KnowledgeDocument document, ITextEmbedder with, DateTimeOffset now, CancellationToken cancellationToken,
        Func<IReadOnlyList<string>, CancellationToken, Task<float[][]>>? embed = null)
    {
        var passages = PassageSplitter.Split(document.Text);
        var vectors = await (embed ?? with.EmbedAsync)([.. passages.Select(p => p.ForEmbedding)], cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.KnowledgePassages.Where(p => p.DocumentId == document.Id).ExecuteDeleteAsync(cancellationToken);
        db.KnowledgePassages.AddRange(passages.Select((p, i) => new KnowledgePassage
        {
            TenantId = document.TenantId, DocumentId = document.Id, Ordinal = i, Heading = p.Heading, Text = p.Text, Embedding = Vectors.ToBytes(vectors[i]),
        }));
        document.PassageCount = passages.Count;
        document.EmbeddingModel = with.ModelId;
        document.IndexedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Deletes a document and its passages (TenantAdmin) and frees its storage.</summary>
    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var caller = RequireAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var document = await db.KnowledgeDocuments.SingleOrDefaultAsync(d => d.Id == id, cancellationToken) ?? throw new KeyNotFoundException("There is no such document.");
        await using (var tx = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.KnowledgePassages.Where(p => p.DocumentId == id).ExecuteDeleteAsync(cancellationToken);
            db.KnowledgeDocuments.Remove(document);
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        index.Invalidate(caller.TenantId);
        await quota.CreditAsync(QuotaMetric.StorageBytes, Math.Max(1, document.SizeBytes), document.UploadedBy, null, cancellationToken);
        await audit.WriteAsync(caller.TenantId, AuditActions.KnowledgeDeleted, document.Title, $"{document.FileName}; {document.PassageCount} passages", cancellationToken: cancellationToken);
    }

    /// <summary>One document's passages in order (for showing a cited passage in its context).</summary>
    public async Task<(KnowledgeDocumentSummary Document, IReadOnlyList<KnowledgePassage> Passages)?> ReadAsync(Guid id, CancellationToken cancellationToken = default)
    {
        RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var document = await db.KnowledgeDocuments.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (document is null)
        {
            return null;
        }

        var passages = await db.KnowledgePassages.AsNoTracking().Where(p => p.DocumentId == id).OrderBy(p => p.Ordinal).ToListAsync(cancellationToken);
        return (Summary(document), passages);
    }

    /// <summary>The passages of the caller's organisation most similar to <paramref name="question"/>.</summary>
    public async Task<IReadOnlyList<PassageHit>> SearchAsync(string question, int k = 5, CancellationToken cancellationToken = default) =>
        await SearchAsync((await embedder.EmbedAsync([question], cancellationToken))[0], k, cancellationToken);

    /// <summary>As <see cref="SearchAsync(string, int, CancellationToken)"/> for a question the caller has already embedded.</summary>
    public async Task<IReadOnlyList<PassageHit>> SearchAsync(float[] questionVector, int k, CancellationToken cancellationToken = default)
    {
        var caller = RequireCaller();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await index.SearchAsync(db, caller.TenantId, embedder.ModelId, questionVector, k, cancellationToken);
    }

    private async Task<float[][]> EmbedAsync(IReadOnlyList<PassageText> passages, IReadOnlyDictionary<string, float[]>? known, CancellationToken cancellationToken)
    {
        var vectors = new float[passages.Count][];
        var missing = new List<int>();
        for (var i = 0; i < passages.Count; i++)
        {
            if (known is not null && known.TryGetValue(PassageVectors.Hash(passages[i].ForEmbedding), out var v))
            {
                vectors[i] = v;
            }
            else
            {
                missing.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            var computed = await MeteredEmbedAsync([.. missing.Select(i => passages[i].ForEmbedding)], cancellationToken);
            for (var j = 0; j < missing.Count; j++)
            {
                vectors[missing[j]] = computed[j];
            }
        }

        return vectors;
    }

    /// <summary>Embeds texts for the caller; a model server's embeddings cost tokens like its answers: reserved before, charged when they arrived.</summary>
    private async Task<float[][]> MeteredEmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var tokens = embedder.IsMetered ? texts.Sum(embedder.CountTokens) : 0;
        await using var lease = tokens > 0 ? await quota.ReserveAsync(QuotaMetric.LlmTokens, tokens, null, cancellationToken) : null;
        var vectors = await embedder.EmbedAsync(texts, cancellationToken);
        if (lease is not null)
        {
            await lease.SettleAsync(tokens);
        }

        return vectors;
    }

    private static async Task<byte[]> ReadBytesAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new KnowledgeDocumentException("The document is larger than the upload limit of {0} MB.", maxBytes / (1024 * 1024));
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static KnowledgeDocumentSummary Summary(KnowledgeDocument d) =>
        new(d.Id, d.Title, d.FileName, d.Format, d.SizeBytes, d.PassageCount, d.IndexedAt, d.Attribution, d.CreatedAt);

    private Caller RequireCaller() => tenantContext.Caller ?? throw new TenantAccessException("Knowledge needs a signed-in caller.");

    private Caller RequireAdmin() =>
        tenantContext.Caller is { } c && (c.IsInRole(PortalRoles.TenantAdmin) || c.IsPlatformAdmin)
            ? c
            : throw new UnauthorizedAccessException("Only an organisation's administrators (teachers) manage its documents.");
}
