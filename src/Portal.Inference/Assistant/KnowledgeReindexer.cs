using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Assistant;
using Portal.Core.Data;

namespace Portal.Inference.Assistant;

/// <summary>
/// After a change of embedding model, indexes again, in the background, every document whose passages were embedded
/// with another model (until then such a document is not found by searches, never mixed with vectors of the new model).
/// </summary>
public sealed partial class KnowledgeReindexer(SystemDbContextFactory systemDb, ITextEmbedder embedder, KnowledgeIndex index, TimeProvider clock, ILogger<KnowledgeReindexer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await using var db = systemDb.CreateDbContext();
            var stale = await db.KnowledgeDocuments.Where(d => d.EmbeddingModel != embedder.ModelId).Select(d => d.Id).ToListAsync(stoppingToken);
            foreach (var id in stale)
            {
                var document = await db.KnowledgeDocuments.SingleAsync(d => d.Id == id, stoppingToken);
                await KnowledgeService.ReplacePassagesAsync(db, document, embedder, clock.GetUtcNow(), stoppingToken);
                index.Invalidate(document.TenantId);
                LogReindexed(logger, document.Title, document.PassageCount, embedder.ModelId);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, embedder.ModelId, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Indexed {Document} again: {Passages} passages with {Model}")]
    private static partial void LogReindexed(ILogger logger, string document, int passages, string model);

    [LoggerMessage(Level = LogLevel.Error, Message = "Indexing documents again with {Model} failed; they stay unsearchable until it succeeds (restart to retry)")]
    private static partial void LogFailed(ILogger logger, string model, Exception exception);
}
