namespace Portal.Core.Tests;

/// <summary>A test class on its own fresh <see cref="CoreTestHost"/>; override <see cref="ArrangeAsync"/> to add data.</summary>
public abstract class CoreHostTest : IAsyncLifetime
{
    protected CoreTestHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await CoreTestHost.StartAsync();
        await ArrangeAsync();
    }

    protected virtual Task ArrangeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
