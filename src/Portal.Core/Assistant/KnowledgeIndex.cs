using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Core.Assistant;

/// <summary>A passage found for a query, with its document and cosine similarity.</summary>
public sealed record PassageHit(long PassageId, Guid DocumentId, string Document, string Heading, string Text, double Score, string? Attribution);

/// <summary>
/// The in-process vector index: per tenant, every passage's vector in one array, searched by dot product (a few
/// thousand passages take well under a millisecond). Rebuilt when the tenant's passages change — checked on every
/// search by their count and highest id, so changes made by another process are seen as well.
/// </summary>
public sealed class KnowledgeIndex
{
    private sealed record Snapshot(int Count, long MaxId, string Model, long[] Ids, float[][] Vectors);

    private readonly ConcurrentDictionary<Guid, Snapshot> _byTenant = new();

    /// <summary>The <paramref name="k"/> passages most similar to <paramref name="query"/> in the tenant (the context's tenant filter applies).</summary>
    public async Task<IReadOnlyList<PassageHit>> SearchAsync(PortalDbContext db, Guid tenantId, string model, float[] query, int k, CancellationToken cancellationToken)
    {
        var state = await db.KnowledgePassages.AsNoTracking()
            .GroupBy(_ => 1)
            .Select(g => new { Count = g.Count(), MaxId = g.Max(p => p.Id) })
            .SingleOrDefaultAsync(cancellationToken);
        if (state is null)
        {
            return [];
        }

        if (!_byTenant.TryGetValue(tenantId, out var snapshot) || snapshot.Count != state.Count || snapshot.MaxId != state.MaxId || snapshot.Model != model)
        {
            var rows = await (from p in db.KnowledgePassages.AsNoTracking()
                              join d in db.KnowledgeDocuments.AsNoTracking() on p.DocumentId equals d.Id
                              where d.EmbeddingModel == model
                              select new { p.Id, p.Embedding }).ToListAsync(cancellationToken);
            snapshot = new Snapshot(state.Count, state.MaxId, model, [.. rows.Select(r => r.Id)], [.. rows.Select(r => Vectors.FromBytes(r.Embedding))]);
            _byTenant[tenantId] = snapshot;
        }

        var top = new PriorityQueue<int, float>();
        for (var i = 0; i < snapshot.Vectors.Length; i++)
        {
            var score = Vectors.Dot(query, snapshot.Vectors[i]);
            if (top.Count < k)
            {
                top.Enqueue(i, score);
            }
            else if (top.TryPeek(out _, out var lowest) && score > lowest)
            {
                top.DequeueEnqueue(i, score);
            }
        }

        var best = new List<(long Id, float Score)>();
        while (top.TryDequeue(out var index, out var score))
        {
            best.Add((snapshot.Ids[index], score));
        }

        var ids = best.Select(b => b.Id).ToList();
        var passages = await (from p in db.KnowledgePassages.AsNoTracking()
                              join d in db.KnowledgeDocuments.AsNoTracking() on p.DocumentId equals d.Id
                              where ids.Contains(p.Id)
                              select new { p.Id, p.DocumentId, d.Title, p.Heading, p.Text, d.Attribution }).ToListAsync(cancellationToken);
        // A passage deleted since the snapshot was taken is simply not returned.
        return [.. best.OrderByDescending(b => b.Score)
            .Join(passages, b => b.Id, p => p.Id, (b, p) => new PassageHit(p.Id, p.DocumentId, p.Title, p.Heading, p.Text, Math.Round(b.Score, 4), p.Attribution))];
    }

    public void Invalidate(Guid tenantId) => _byTenant.TryRemove(tenantId, out _);
}
