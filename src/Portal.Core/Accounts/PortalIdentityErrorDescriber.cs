using Microsoft.AspNetCore.Identity;

namespace Portal.Core.Accounts;

/// <summary>An ASP.NET Core Identity error that carries its message as a <see cref="LocalizableText"/> (its description is the English text).</summary>
public sealed class LocalizableIdentityError : IdentityError
{
    public LocalizableIdentityError(string code, LocalizableText text)
    {
        Code = code;
        Description = text.ToString();
        Text = text;
    }

    public LocalizableText Text { get; }
}

/// <summary>
/// Identity's errors (password rules, taken e-mail addresses, wrong passwords, expired links) as
/// <see cref="LocalizableIdentityError"/>s, so that pages show them in the reader's language while the API and logs
/// keep English. User names are e-mail addresses in the portal, and the wording says so.
/// </summary>
public sealed class PortalIdentityErrorDescriber : IdentityErrorDescriber
{
    private static LocalizableIdentityError Error(string code, LocalizableText text) => new(code, text);

    public override IdentityError DefaultError() => Error(nameof(DefaultError), new LocalizableText("Something went wrong. Please try again."));

    public override IdentityError ConcurrencyFailure() =>
        Error(nameof(ConcurrencyFailure), new LocalizableText("Someone else changed this account at the same time. Reload the page and try again."));

    public override IdentityError PasswordMismatch() => Error(nameof(PasswordMismatch), new LocalizableText("The password is not correct."));

    public override IdentityError InvalidToken() => Error(nameof(InvalidToken), new LocalizableText("The link or code is invalid or has expired."));

    public override IdentityError RecoveryCodeRedemptionFailed() =>
        Error(nameof(RecoveryCodeRedemptionFailed), new LocalizableText("The recovery code is not valid."));

    public override IdentityError LoginAlreadyAssociated() =>
        Error(nameof(LoginAlreadyAssociated), new LocalizableText("Another account already uses this external login."));

    public override IdentityError InvalidUserName(string? userName) =>
        Error(nameof(InvalidUserName), new LocalizableText("'{0}' cannot be used as a user name.", userName ?? string.Empty));

    public override IdentityError InvalidEmail(string? email) =>
        Error(nameof(InvalidEmail), new LocalizableText("'{0}' is not a valid e-mail address.", email ?? string.Empty));

    public override IdentityError DuplicateUserName(string userName) =>
        Error(nameof(DuplicateUserName), new LocalizableText("An account for {0} already exists.", userName));

    public override IdentityError DuplicateEmail(string email) =>
        Error(nameof(DuplicateEmail), new LocalizableText("An account for {0} already exists.", email));

    public override IdentityError InvalidRoleName(string? role) =>
        Error(nameof(InvalidRoleName), new LocalizableText("'{0}' is not a valid role.", role ?? string.Empty));

    public override IdentityError DuplicateRoleName(string role) =>
        Error(nameof(DuplicateRoleName), new LocalizableText("The role '{0}' already exists.", role));

    public override IdentityError UserAlreadyHasPassword() =>
        Error(nameof(UserAlreadyHasPassword), new LocalizableText("This account already has a password."));

    public override IdentityError UserLockoutNotEnabled() =>
        Error(nameof(UserLockoutNotEnabled), new LocalizableText("Lock-out is not enabled for this account."));

    public override IdentityError UserAlreadyInRole(string role) =>
        Error(nameof(UserAlreadyInRole), new LocalizableText("The account already has the role '{0}'.", role));

    public override IdentityError UserNotInRole(string role) =>
        Error(nameof(UserNotInRole), new LocalizableText("The account does not have the role '{0}'.", role));

    public override IdentityError PasswordTooShort(int length) =>
        Error(nameof(PasswordTooShort), new LocalizableText("The password must be at least {0} characters long.", length));

    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) =>
        Error(nameof(PasswordRequiresUniqueChars), new LocalizableText("The password must use at least {0} different characters.", uniqueChars));

    public override IdentityError PasswordRequiresNonAlphanumeric() =>
        Error(nameof(PasswordRequiresNonAlphanumeric), new LocalizableText("The password must contain a symbol (a character that is not a letter or digit)."));

    public override IdentityError PasswordRequiresDigit() =>
        Error(nameof(PasswordRequiresDigit), new LocalizableText("The password must contain a digit (0–9)."));

    public override IdentityError PasswordRequiresLower() =>
        Error(nameof(PasswordRequiresLower), new LocalizableText("The password must contain a lower-case letter (a–z)."));

    public override IdentityError PasswordRequiresUpper() =>
        Error(nameof(PasswordRequiresUpper), new LocalizableText("The password must contain an upper-case letter (A–Z)."));
}

public static class IdentityErrorText
{
    /// <summary>The errors as one message (each error's own text when it has one; Identity's description otherwise).</summary>
    public static LocalizableText Text(this IEnumerable<IdentityError> errors) =>
        LocalizableText.Join([.. errors.Select(e => e is LocalizableIdentityError l ? l.Text : new LocalizableText(e.Description))]);
}
