using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Portal.Web.Localization;

namespace Portal.Web.Tests.Localization;

/// <summary>
/// The account forms (log in, register, passwords, two-factor codes) say what is wrong in the page's language: every
/// form model is checked empty and filled with wrong values, on a Chinese and on an English page.
/// </summary>
public sealed partial class AccountValidationTextTests
{
    [Fact]
    public void Every_account_form_explains_its_errors_in_Chinese_on_a_Chinese_page_and_in_English_on_an_English_one()
    {
        var models = typeof(ValidationText).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("Portal.Web.Components.Account", StringComparison.Ordinal) == true)
            .Where(t => t.GetProperties().Any(p => p.GetCustomAttributes<ValidationAttribute>().Any()))
            .ToList();
        Assert.True(models.Count >= 10, $"found {models.Count} form models");
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            foreach (var model in models)
            {
                CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("zh-CN");
                var chinese = Errors(model);
                Assert.NotEmpty(chinese);
                Assert.All(chinese, m => Assert.True(Cjk().IsMatch(m) && !EnglishWord().IsMatch(m), $"{model.DeclaringType?.Name}: '{m}'"));

                CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("en-GB");
                var english = Errors(model);
                Assert.Equal(chinese.Count, english.Count);
                Assert.All(english, m => Assert.False(Cjk().IsMatch(m), $"{model.DeclaringType?.Name}: '{m}'"));
            }
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    /// <summary>The messages for the form left empty, then with a different short word in every text field.</summary>
    private static List<string> Errors(Type model)
    {
        var messages = new List<string>();
        foreach (var fill in new[] { false, true })
        {
            var instance = Activator.CreateInstance(model, nonPublic: true)!;
            var i = 0;
            foreach (var property in model.GetProperties().Where(p => p.PropertyType == typeof(string) && p.CanWrite))
            {
                property.SetValue(instance, fill ? $"x{i++}" : null);
            }

            var results = new List<ValidationResult>();
            Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
            messages.AddRange(results.Select(r => r.ErrorMessage!));
        }

        return messages;
    }

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex Cjk();

    [GeneratedRegex("[A-Za-z]{3,}")]
    private static partial Regex EnglishWord();
}
