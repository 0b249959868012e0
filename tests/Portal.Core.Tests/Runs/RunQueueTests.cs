using Portal.Core;
using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Data;
using Portal.Core.Runs;

namespace Portal.Core.Tests.Runs;

/// <summary>The durable queue on a real SQLite file: exclusive claims across workers, leases that expire and move.</summary>
public sealed class RunQueueTests : CoreHostTest
{
    private Guid _tenant;
    private string _owner = string.Empty;

    protected override async Task ArrangeAsync()
    {
        var (tenant, user) = await Host.CreateTenantAsync("queue");
        (_tenant, _owner) = (tenant, user.UserId);
    }

    /// <summary>A queue as a second process would have it: its own instance over the same database.</summary>
    private RunQueue NewQueue() => new(
        Host.Services.GetRequiredService<SystemDbContextFactory>(), Host.Clock, Host.Services.GetRequiredService<IOptions<RunOptions>>());

    private async Task<List<Guid>> QueueRunsAsync(int count)
    {
        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var runs = Enumerable.Range(0, count).Select(i => new Run
        {
            TenantId = _tenant,
            OwnerId = _owner,
            TemplateId = "medical-diabetes-progression",
            ModelVersion = "1.0.0",
            DatasetName = "d" + i,
            RowsTotal = 10,
            CreatedAt = Host.Clock.GetUtcNow().AddSeconds(i),
        }).ToList();
        db.Runs.AddRange(runs);
        await db.SaveChangesAsync();
        return [.. runs.Select(r => r.Id)];
    }

    [Fact]
    public async Task Four_workers_of_two_processes_claim_every_run_exactly_once()
    {
        var ids = await QueueRunsAsync(40);
        var claims = new ConcurrentBag<(string Worker, Guid Run)>();
        var queues = new[] { NewQueue(), NewQueue() };
        using var start = new Barrier(4);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var worker = $"process{w % 2}:worker{w}";
            start.SignalAndWait();
            while (await queues[w % 2].ClaimAsync(worker, CancellationToken.None) is { } run)
            {
                claims.Add((worker, run.Id));
                Assert.Equal(RunState.Running, run.State);
                Assert.Equal(worker, run.WorkerId);
                await Task.Delay(5); // the "work", so that the workers take turns
            }
        })));

        Assert.Equal(40, claims.Count);
        Assert.Equal(ids.Order(), claims.Select(c => c.Run).Order());
        Assert.True(claims.Select(c => c.Worker).Distinct().Count() > 1, "one worker took everything");
    }

    [Fact]
    public async Task The_oldest_run_is_claimed_first_and_a_held_run_is_not_claimed_again()
    {
        var ids = await QueueRunsAsync(2);
        var queue = NewQueue();
        Assert.Equal(ids[0], (await queue.ClaimAsync("a", CancellationToken.None))!.Id);
        Assert.Equal(ids[1], (await queue.ClaimAsync("b", CancellationToken.None))!.Id);
        Assert.Null(await queue.ClaimAsync("c", CancellationToken.None));
    }

    [Fact]
    public async Task A_crashed_workers_run_is_taken_over_when_its_lease_expires_and_the_old_worker_cannot_write_to_it()
    {
        var id = (await QueueRunsAsync(1))[0];
        var crashed = NewQueue();
        var survivor = NewQueue();
        var first = await crashed.ClaimAsync("crashed", CancellationToken.None);
        Assert.Equal((true, false), await crashed.HeartbeatAsync(id, "crashed", 5, CancellationToken.None));

        Host.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(await survivor.ClaimAsync("survivor", CancellationToken.None));
        Host.Clock.Advance(TimeSpan.FromSeconds(2));
        var taken = await survivor.ClaimAsync("survivor", CancellationToken.None);
        Assert.Equal(id, taken!.Id);
        Assert.Equal(2, taken.Attempts);
        Assert.Equal(first!.StartedAt, taken.StartedAt);
        Assert.Equal(5, taken.RowsDone);

        Assert.Equal((false, false), await crashed.HeartbeatAsync(id, "crashed", 9, CancellationToken.None));
        Assert.False(await crashed.FinishAsync(id, "crashed", RunState.Failed, 9, 9, new LocalizableText("late"), null, 0, CancellationToken.None));
        Assert.True(await survivor.FinishAsync(id, "survivor", RunState.Succeeded, 10, 10, null, null, 0, CancellationToken.None));

        await using var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(10, run.RowsDone);
        Assert.Null(run.Error);
    }

    [Fact]
    public async Task A_cancel_request_reaches_the_worker_at_its_next_heartbeat()
    {
        var id = (await QueueRunsAsync(1))[0];
        var queue = NewQueue();
        await queue.ClaimAsync("w", CancellationToken.None);
        await using (var db = Host.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext())
        {
            await db.Runs.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true));
        }

        Assert.Equal((true, true), await queue.HeartbeatAsync(id, "w", 3, CancellationToken.None));
    }
}
