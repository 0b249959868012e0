using System.Globalization;
using System.Resources;

namespace Portal.Web.Localization;

/// <summary>
/// Validation messages and field names of the account forms, for DataAnnotations (<c>ErrorMessageResourceType</c>,
/// <c>Display.ResourceType</c>): each property reads the UI's string table in the current UI culture when a form is
/// checked, so a Chinese page shows Chinese messages. Keys are the English text, as everywhere in the UI.
/// </summary>
public static class ValidationText
{
    private static readonly Texts L = new();

    public static string Required => L["The {0} field is required."];

    public static string EmailAddress => L["The {0} field is not a valid e-mail address."];

    public static string Phone => L["The {0} field is not a valid phone number."];

    public static string LengthBetween => L["The {0} must be at least {2} and at max {1} characters long."];

    public static string MaxLength => L["The field {0} must be a string with a maximum length of {1}."];

    public static string EnterEmail => L["Enter your e-mail address."];

    public static string EnterValidEmail => L["Enter a valid e-mail address."];

    public static string EnterPassword => L["Enter your password."];

    public static string ChoosePassword => L["Choose a password."];

    public static string PasswordLength => L["The password must be at least {2} and at most {1} characters long."];

    public static string PasswordsDiffer => L["The passwords do not match."];

    public static string ConfirmationDiffers => L["The password and confirmation password do not match."];

    public static string NewConfirmationDiffers => L["The new password and confirmation password do not match."];

    public static string EnterOrganisation => L["Enter your organisation's name."];

    public static string OrganisationLength => L["The organisation name must be 2 to 200 characters long."];

    public static string EmailName => L["E-mail"];

    public static string PasswordName => L["Password"];

    public static string CodeName => L["Code"];

    public static string YourNameName => L["Your name"];

    public static string RecoveryCodeName => L["Recovery code"];

    public static string AuthenticatorCodeName => L["Authenticator code"];

    public static string VerificationCodeName => L["Verification code"];

    public static string RememberMachineName => L["Remember this machine"];

    public static string PhoneNumberName => L["Phone number"];

    public static string NewEmailName => L["New e-mail"];

    public static string CurrentPasswordName => L["Current password"];

    public static string NewPasswordName => L["New password"];

    public static string ConfirmPasswordName => L["Confirm password"];

    public static string ConfirmNewPasswordName => L["Confirm new password"];

    /// <summary>The string table by English key ("L" like in the pages, so the translation-coverage test finds the keys).</summary>
    private sealed class Texts
    {
        private readonly ResourceManager _resources = new(typeof(SharedResource).FullName!.Replace(".Localization.", ".Resources.Localization.", StringComparison.Ordinal), typeof(SharedResource).Assembly);

        public string this[string english]
        {
            get
            {
                try
                {
                    return _resources.GetString(english, CultureInfo.CurrentUICulture) ?? english;
                }
                catch (MissingManifestResourceException)
                {
                    return english; // English has no table of its own: the keys are the text
                }
            }
        }
    }
}
