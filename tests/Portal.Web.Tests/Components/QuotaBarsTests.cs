using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Portal.Core.Quotas;
using Portal.Web.Components.Shared;

namespace Portal.Web.Tests.Components;

public sealed class QuotaBarsTests
{
    private static readonly DateTimeOffset Resets = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static BunitContext NewContext()
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        return ctx;
    }

    [Fact]
    public async Task Draws_one_bar_per_metric_with_used_limit_and_remaining()
    {
        await using var ctx = NewContext();
        var cut = ctx.Render<QuotaBars>(p => p.Add(b => b.Lines, new[]
        {
            new QuotaUsageLine(QuotaMetric.PredictionRows, 1_500, 2_000, null, null, Resets),
            new QuotaUsageLine(QuotaMetric.LlmTokens, 42, null, null, null, Resets),
            new QuotaUsageLine(QuotaMetric.StorageBytes, 3L * 1024 * 1024, 100L * 1024 * 1024, null, null, null),
        }));

        var rows = cut.Find("[data-metric=PredictionRows]");
        Assert.Contains("1,500 / 2,000", rows.TextContent, StringComparison.Ordinal);
        Assert.Contains("500 remaining", rows.TextContent, StringComparison.Ordinal);
        Assert.Equal("75", cut.Find("[data-metric=PredictionRows] .mud-progress-linear").GetAttribute("aria-valuenow"));
        Assert.Contains("unlimited", cut.Find("[data-metric=LlmTokens]").TextContent, StringComparison.Ordinal);
        Assert.Contains("3 MB / 100 MB", cut.Find("[data-metric=StorageBytes]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spent_quota_is_drawn_in_the_error_colour_with_the_daily_cap()
    {
        await using var ctx = NewContext();
        var cut = ctx.Render<QuotaBars>(p => p.Add(b => b.Lines, new[]
        {
            new QuotaUsageLine(QuotaMetric.Requests, 5_000, 5_000, 1_000, 1_000, Resets),
        }));

        Assert.Contains("mud-progress-linear-color-error", cut.Find("[data-metric=Requests] .mud-progress-linear").ClassName, StringComparison.Ordinal);
        Assert.Contains("Today: 1,000 of 1,000", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_in_simplified_chinese()
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        try
        {
            await using var ctx = NewContext();
            var cut = ctx.Render<QuotaBars>(p => p.Add(b => b.Lines, new[] { new QuotaUsageLine(QuotaMetric.PredictionRows, 10, 100, null, null, Resets) }));
            Assert.Contains("预测行数", cut.Markup, StringComparison.Ordinal);
            Assert.Contains("剩余 90", cut.Markup, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }
}
