using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.WebUtilities;
using Portal.Core.Accounts;
using Portal.Core.Email;

namespace Portal.Web.Components.Account;

/// <summary>Builds absolute links for account e-mails (invitations) from the page or request being served.</summary>
public sealed class AccountLinks(IHttpContextAccessor http, NavigationManager navigation, PortalEmailSender email)
{
    public async Task SendInvitationAsync(PortalUser user, string passwordResetToken)
    {
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(passwordResetToken));
        var link = $"{BaseUri()}Account/ResetPassword?code={Uri.EscapeDataString(code)}";
        await email.SendAsync(
            user.Email!,
            "You are invited to Portal / 您受邀加入 Portal",
            $"An administrator added you to Portal. Choose your password here:\n{link}\n\n管理员已将您加入 Portal。请在此设置您的密码：\n{link}");
    }

    private string BaseUri()
    {
        try
        {
            return navigation.BaseUri;
        }
        catch (InvalidOperationException)
        {
            var request = http.HttpContext?.Request ?? throw new InvalidOperationException("No request to build a link from.");
            return $"{request.Scheme}://{request.Host}{request.PathBase}/";
        }
    }
}
