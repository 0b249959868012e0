using Microsoft.Extensions.Options;

namespace Portal.Core.Demo;

/// <summary><c>Portal:Demo</c>: seeded demo tenants and accounts (on in Development).</summary>
public sealed class DemoOptions
{
    public const string Section = "Portal:Demo";

    public bool Seed { get; set; }

    /// <summary>The password of every demo account.</summary>
    public string? Password { get; set; }

    /// <summary>E-mail → API key (<c>ptl_…</c>) to give demo accounts a known key.</summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];
}

internal sealed class DemoOptionsValidator : IValidateOptions<DemoOptions>
{
    public ValidateOptionsResult Validate(string? name, DemoOptions options)
    {
        if (options.Seed && (options.Password is null || options.Password.Length < 8))
        {
            return ValidateOptionsResult.Fail("Portal:Demo:Password must be set (8+ characters, upper, lower, digit, symbol) when Portal:Demo:Seed is true.");
        }

        foreach (var (email, key) in options.ApiKeys)
        {
            if (!ApiKeys.ApiKeyService.IsWellFormed(key))
            {
                return ValidateOptionsResult.Fail($"Portal:Demo:ApiKeys:{email} must start with '{ApiKeys.ApiKeyService.KeyPrefix}' and be {ApiKeys.ApiKeyService.MinimumLength} to 200 characters long.");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
