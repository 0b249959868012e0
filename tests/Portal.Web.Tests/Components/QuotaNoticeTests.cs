using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Portal.Core.Quotas;
using Portal.Web.Components.Shared;

namespace Portal.Web.Tests.Components;

public sealed class QuotaNoticeTests
{
    private static readonly DateTimeOffset MonthEnd = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A quota service answering a fixed picture; the component only reads status.</summary>
    private sealed class FixedQuota(QuotaStatus status) : IQuotaService
    {
        public Task<QuotaStatus> GetStatusAsync(CancellationToken cancellationToken = default) => Task.FromResult(status);

        public Task<QuotaLease> ReserveAsync(QuotaMetric metric, long amount, string? templateId = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The notice never reserves.");

        public Task<QuotaLease> ReserveAsync(QuotaMetric metric, long amount, string? templateId, TimeSpan hold, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The notice never reserves.");

        public QuotaLease Resume(Guid reservationId, QuotaMetric metric, long amount) =>
            throw new NotSupportedException("The notice never settles.");

        public Task<(long? User, long? Key)> GetRateLimitsAsync(CancellationToken cancellationToken = default) => Task.FromResult<(long?, long?)>((null, null));

        public Task CreditAsync(QuotaMetric metric, long amount, string ownerId, string? templateId = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The notice never credits.");
    }

    private static BunitContext NewContext(long used, long? limit)
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        ctx.Services.AddSingleton<IQuotaService>(new FixedQuota(new QuotaStatus(
            [new QuotaUsageLine(QuotaMetric.PredictionRows, used, limit, null, null, MonthEnd)],
            [new QuotaUsageLine(QuotaMetric.PredictionRows, used, null, null, null, MonthEnd)],
            [])));
        return ctx;
    }

    [Fact]
    public async Task Shows_what_remains_when_the_work_fits()
    {
        await using var ctx = NewContext(used: 19_000, limit: 20_000);
        bool? allowed = null;
        var cut = ctx.Render<QuotaNotice>(p => p
            .Add(n => n.Metric, QuotaMetric.PredictionRows)
            .Add(n => n.Needed, 569)
            .Add(n => n.AllowedChanged, (bool a) => allowed = a));

        var notice = cut.Find("[data-testid=quota-notice]");
        Assert.Equal("true", notice.GetAttribute("data-allows"));
        Assert.Contains("Prediction rows remaining: 1,000.", notice.TextContent, StringComparison.Ordinal);
        Assert.True(allowed);
    }

    [Fact]
    public async Task Refuses_before_the_work_starts_naming_need_remainder_and_reset()
    {
        await using var ctx = NewContext(used: 19_900, limit: 20_000);
        bool? allowed = null;
        var cut = ctx.Render<QuotaNotice>(p => p
            .Add(n => n.Metric, QuotaMetric.PredictionRows)
            .Add(n => n.Needed, 569)
            .Add(n => n.AllowedChanged, (bool a) => allowed = a));

        var notice = cut.Find("[data-testid=quota-notice]");
        Assert.Equal("false", notice.GetAttribute("data-allows"));
        Assert.Contains("Not enough Prediction rows left: this needs 569, 100 remain.", notice.TextContent, StringComparison.Ordinal);
        Assert.Contains("2026-12-01 00:00 UTC", notice.TextContent, StringComparison.Ordinal);
        Assert.False(allowed);
    }

    [Fact]
    public async Task Says_nothing_when_the_metric_is_unlimited()
    {
        await using var ctx = NewContext(used: 5, limit: null);
        bool? allowed = null;
        var cut = ctx.Render<QuotaNotice>(p => p
            .Add(n => n.Metric, QuotaMetric.PredictionRows)
            .Add(n => n.Needed, 1_000_000)
            .Add(n => n.AllowedChanged, (bool a) => allowed = a));
        Assert.Empty(cut.FindAll("[data-testid=quota-notice]"));
        Assert.True(allowed);
    }
}
