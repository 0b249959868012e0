using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Email;

/// <summary><c>Portal:Email</c>. Without <see cref="SmtpHost"/>, messages are written to <see cref="PickupDirectory"/> and the log.</summary>
public sealed class EmailOptions
{
    public const string Section = "Portal:Email";

    public string? SmtpHost { get; set; }

    [Range(1, 65535)]
    public int SmtpPort { get; set; } = 587;

    public bool UseStartTls { get; set; } = true;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    [Required, EmailAddress]
    public string From { get; set; } = "portal@portal.local";

    /// <summary>Folder for .eml files when no SMTP server is configured (relative to the content root).</summary>
    [Required]
    public string PickupDirectory { get; set; } = "App_Data/mail";
}
