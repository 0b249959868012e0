using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;

namespace Portal.Web.Tests.Tenancy;

/// <summary>Two web nodes on one database (as behind a load balancer on PostgreSQL) share the key ring that protects sign-ins.</summary>
public sealed class WebNodeTests
{
    [Fact]
    public async Task A_sign_in_on_one_node_is_accepted_by_another_node_on_the_same_database()
    {
        await using var first = new PortalWebFactory();
        var browser = first.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var page = await browser.GetAsync("/Account/Login");
        var antiforgery = page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        var token = System.Text.RegularExpressions.Regex.Match(await page.Content.ReadAsStringAsync(), "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        using var form = new HttpRequestMessage(HttpMethod.Post, "/Account/Login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["__RequestVerificationToken"] = token,
                ["Input.Email"] = "member@bank.demo",
                ["Input.Password"] = PortalWebFactory.Password,
            }),
        };
        form.Headers.Add("Cookie", string.Join("; ", antiforgery));
        var login = await browser.SendAsync(form);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var signIn = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

        await using var second = PortalWebFactory.SecondNode(first);
        var other = second.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        Assert.Equal(HttpStatusCode.Redirect, (await other.GetAsync("/usage")).StatusCode); // without the cookie: to the login page
        using var request = new HttpRequestMessage(HttpMethod.Get, "/usage");
        request.Headers.Add("Cookie", signIn);
        Assert.Equal(HttpStatusCode.OK, (await other.SendAsync(request)).StatusCode);

        await using var db = second.Services.GetRequiredService<SystemDbContextFactory>().CreateDbContext();
        Assert.Equal(1, await db.DataProtectionKeys.CountAsync()); // one key ring, in the database
    }
}
