using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Portal.Core;
using Portal.Core.Datasets;
using Portal.Core.Templates;
using Portal.Web.Localization;

namespace Portal.Web.Tests.Localization;

/// <summary>The core's messages (a file it cannot read, a wrong cell) read in the page's language, with their values.</summary>
public sealed class CoreMessageTests(PortalWebFactory factory) : IClassFixture<PortalWebFactory>
{
    private static readonly InputColumn Months = new()
    {
        Name = "months", Type = InputType.Integer, Min = 1, Max = 72, Unit = new("months", "个月"), Description = new("m", "m"), Baseline = "12",
    };

    /// <summary>Administrators' refusals (limits, members) too, with their values.</summary>
    [Theory]
    [InlineData("zh-CN", "名为“Gold”的套餐已存在。", "你不能移除自己。")]
    [InlineData("en", "A plan named 'Gold' already exists.", "You cannot remove yourself.")]
    public void Refusals_read_in_the_pages_language(string culture, string planTaken, string removeYourself)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            var L = factory.Services.GetRequiredService<IStringLocalizer<SharedResource>>();
            Assert.Equal(planTaken, new Portal.Core.Quotas.QuotaLimitValidationException("A plan named '{0}' already exists.", "Gold").Text.In(L));
            Assert.Equal(removeYourself, new Portal.Core.Tenancy.MemberValidationException("You cannot remove yourself.").Text.In(L));
            Assert.Equal("A plan named 'Gold' already exists.", new Portal.Core.Quotas.QuotaLimitValidationException("A plan named '{0}' already exists.", "Gold").Message);
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }

    /// <summary>ASP.NET Core Identity's refusals through the portal's describer: one message per rule, each once, with its values.</summary>
    [Theory]
    [InlineData("zh-CN", "密码长度至少为 8 个字符。 密码必须包含一个数字（0–9）。", "x@y.test 的账户已存在。")]
    [InlineData("en", "The password must be at least 8 characters long. The password must contain a digit (0–9).", "An account for x@y.test already exists.")]
    public async Task Identity_errors_read_in_the_pages_language(string culture, string weak, string taken)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            using var scope = factory.Services.CreateScope();
            var L = scope.ServiceProvider.GetRequiredService<IStringLocalizer<SharedResource>>();
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Portal.Core.Accounts.PortalUser>>();
            var errors = new List<Microsoft.AspNetCore.Identity.IdentityError>();
            foreach (var validator in users.PasswordValidators)
            {
                errors.AddRange((await validator.ValidateAsync(users, new Portal.Core.Accounts.PortalUser(), "Ab!c")).Errors);
            }

            Assert.Equal(weak, Portal.Core.Accounts.IdentityErrorText.Text(errors).In(L));
            var describer = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.IdentityErrorDescriber>();
            Assert.Equal(taken, Portal.Core.Accounts.IdentityErrorText.Text([describer.DuplicateUserName("x@y.test"), describer.DuplicateEmail("x@y.test")]).In(L));
            Assert.Equal("The password must be at least 8 characters long. The password must contain a digit (0–9).", Portal.Core.Accounts.IdentityErrorText.Text(errors).ToString());
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }

    [Theory]
    [InlineData("zh-CN", "“abc”不是数字", "73 超出允许范围 1 至 72 个月", "缺失", "第 7 行开始的引号没有闭合，文件的其余部分会变成一个单元格。")]
    [InlineData("en", "'abc' is not a number", "73 is outside the allowed range 1 to 72 months", "is missing", "A quote opened on line 7 is never closed, so the rest of the file would be one cell.")]
    public void Cell_errors_and_file_problems_read_in_the_pages_language(string culture, string notANumber, string outOfRange, string missing, string openQuote)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            var L = factory.Services.GetRequiredService<IStringLocalizer<SharedResource>>();
            Assert.Equal(notANumber, TabularValidator.CheckCell(Months, "abc", out _)!.In(L));
            Assert.Equal(outOfRange, TabularValidator.CheckCell(Months, "73", out _)!.In(L));
            Assert.Equal(missing, TabularValidator.CheckCell(Months, " ", out _)!.In(L));
            Assert.Equal(openQuote, new TabularFileException("A quote opened on line {0} is never closed, so the rest of the file would be one cell.", 7).Text.In(L));

            // The API and files keep English; a message without a translation reads in English with its values.
            Assert.Equal("'abc' is not a number", TabularValidator.CheckCell(Months, "abc", out _)!.ToString());
            Assert.Equal("Row 1,234 of {x}", new LocalizableText("Row {0:N0} of {{x}}", 1234).In(L));
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }
}
