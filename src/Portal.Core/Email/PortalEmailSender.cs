using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Portal.Core.Accounts;

namespace Portal.Core.Email;

/// <summary>Sends account e-mail (confirmation, password reset, invitations) in English and Simplified Chinese.</summary>
public sealed partial class PortalEmailSender(IOptions<EmailOptions> options, PortalPaths paths, ILogger<PortalEmailSender> logger, TimeProvider clock)
    : IEmailSender<PortalUser>
{
    public Task SendConfirmationLinkAsync(PortalUser user, string email, string confirmationLink) =>
        SendAsync(email, "Confirm your Portal account / 确认您的 Portal 账户",
            $"Confirm your account by opening this link:\n{confirmationLink}\n\n请打开以下链接确认您的账户：\n{confirmationLink}");

    public Task SendPasswordResetLinkAsync(PortalUser user, string email, string resetLink) =>
        SendAsync(email, "Set your Portal password / 设置您的 Portal 密码",
            $"Set a new password by opening this link:\n{resetLink}\n\n请打开以下链接设置新密码：\n{resetLink}");

    public Task SendPasswordResetCodeAsync(PortalUser user, string email, string resetCode) =>
        SendAsync(email, "Your Portal password reset code / 您的 Portal 密码重置码",
            $"Your password reset code is: {resetCode}\n\n您的密码重置码是：{resetCode}");

    public async Task SendAsync(string to, string subject, string body, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(o.From));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };

        if (string.IsNullOrWhiteSpace(o.SmtpHost))
        {
            var folder = paths.Resolve(o.PickupDirectory);
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, $"{clock.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid():N}.eml");
            await message.WriteToAsync(file, cancellationToken);
            LogWritten(logger, to, subject, file, body);
            return;
        }

        using var client = new SmtpClient();
        await client.ConnectAsync(o.SmtpHost, o.SmtpPort, o.UseStartTls ? SecureSocketOptions.StartTlsWhenAvailable : SecureSocketOptions.None, cancellationToken);
        if (!string.IsNullOrEmpty(o.UserName))
        {
            await client.AuthenticateAsync(new NetworkCredential(o.UserName, o.Password), cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No SMTP server configured: e-mail to {To} ({Subject}) written to {File}\n{Body}")]
    private static partial void LogWritten(ILogger logger, string to, string subject, string file, string body);
}
