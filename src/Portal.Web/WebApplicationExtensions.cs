using Microsoft.AspNetCore.Authentication;
using System.Globalization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.FileProviders;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Accounts;
using Portal.Core.Tenancy;
using Portal.Core.Data;
using Portal.Web.ApiKeys;
using Portal.Web.Components;
using Portal.Web.Components.Account;
using Portal.Web.Datasets;
using Portal.Web.Endpoints;
using Portal.Web.Localization;
using Portal.Web.Quotas;
using Portal.Web.Tenancy;
using Scalar.AspNetCore;

namespace Portal.Web;

/// <summary>The web host's one registration point and one pipeline definition.</summary>
public static class WebApplicationExtensions
{
    public static WebApplicationBuilder AddPortalWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices(o => o.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight);
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        services.AddTransient<MudLocalizer, PortalMudLocalizer>();
        services.AddHttpContextAccessor();
        // The key ring lives in the portal's database, so web nodes sharing a PostgreSQL database accept each other's cookies.
        services.AddDataProtection()
            .SetApplicationName("Portal")
            .PersistKeysToDbContext<PortalDbContext>();

        AddAuthentication(services);
        AddApi(services);
        services.AddHealthChecks().AddDbContextCheck<PortalDbContext>("database");
        return builder;
    }

    private static void AddAuthentication(IServiceCollection services)
    {
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AccountLinks>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddScoped<CircuitHandler, CallerCircuitHandler>();
        services.AddScoped<IUserClaimsPrincipalFactory<PortalUser>, PortalClaimsPrincipalFactory>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        services.AddIdentityCore<PortalUser>().AddSignInManager();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = "portal.auth";

            // A session of a deactivated organisation ends at its next request (Identity's own check runs first);
            // signing in again then says why.
            var identityCheck = o.Events.OnValidatePrincipal;
            o.Events.OnValidatePrincipal = async context =>
            {
                await identityCheck(context);
                if (context.Principal?.FindFirst(PortalClaims.TenantId)?.Value is { } value && Guid.TryParse(value, out var tenantId)
                    && !await context.HttpContext.RequestServices.GetRequiredService<TenantService>().IsActiveAsync(tenantId, context.HttpContext.RequestAborted))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                }
            };
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(PortalPolicies.SignedIn, p => p.RequireAuthenticatedUser().RequireClaim(PortalClaims.TenantId))
            .AddPolicy(PortalPolicies.PlatformAdmin, p => p.RequireRole(PortalRoles.PlatformAdmin))
            .AddPolicy(PortalPolicies.TenantAdmin, p => p.RequireRole(PortalRoles.TenantAdmin, PortalRoles.PlatformAdmin))
            .AddPolicy(PortalPolicies.BusinessUser, p => p.RequireRole(PortalRoles.Member, PortalRoles.TenantAdmin, PortalRoles.PlatformAdmin));
    }

    private static void AddApi(IServiceCollection services)
    {
        // First of the writers (the service uses the first that accepts): /v1 answers errors in OpenAI's shape.
        services.Insert(0, ServiceDescriptor.Singleton<Microsoft.AspNetCore.Http.IProblemDetailsWriter, OpenAiErrorWriter>());
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddSingleton<ApiRateLimiter>();
        services.AddOpenApi("v1", o => o.AddDocumentTransformer<BearerSecurityTransformer>());
    }

    public static WebApplication UsePortal(this WebApplication app)
    {
        // Load the template packs and their models now, so a refused pack is reported at start-up.
        _ = app.Services.GetRequiredService<Portal.Core.Templates.ITemplateCatalog>();

        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandlingPath = "/Error", CreateScopeForErrors = true });
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        // Pages get the "not found" page; API answers get problem details from the inner handler, which writes a body
        // first so the page re-execution leaves them alone. (Re-execution must sit in the main pipeline to re-route.)
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseWhen(c => ApiPaths.IsApi(c.Request.Path), b => b.UseStatusCodePages());

        app.UseRequestLocalization(o =>
        {
            var cultures = PortalCultures.Supported.Select(c => new CultureInfo(c)).ToList();
            o.DefaultRequestCulture = new RequestCulture(PortalCultures.Default);
            o.SupportedCultures = cultures;
            o.SupportedUICultures = cultures;
            o.RequestCultureProviders = [new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
            o.FallBackToParentUICultures = true;
            o.FallBackToParentCultures = true;
        });

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "wwwroot-assets")),
            RequestPath = "/assets",
        });

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<CallerMiddleware>();
        app.UseWhen(c => ApiPaths.IsApi(c.Request.Path), b => b.UseMiddleware<ApiRequestMeteringMiddleware>());
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        app.MapCultureEndpoints();
        app.MapTemplateDownloads();
        app.MapRunDownloads();
        app.MapBrowserUpload();
        app.MapUsageDownloads();
        app.MapAuditDownloads();

        app.MapOpenApi();
        app.MapScalarApiReference("/api-reference", o =>
        {
            // Self-hosted and offline: no cloud features, no telemetry, no fonts from a CDN.
            o.Title = "Portal API";
            o.ShowDeveloperTools = DeveloperToolsVisibility.Never;
            o.Agent = new ScalarAgentOptions { Disabled = true };
            o.Mcp = new ScalarMcpOptions { Disabled = true };
            o.Telemetry = false;
            o.DefaultFonts = false;
            o.HideClientButton = true;
        });
        app.MapHealthChecks("/health");
        app.MapPortalApi();
        return app;
    }
}
