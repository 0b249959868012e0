using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Portal.Core.Tenancy;

namespace Portal.Web.Tenancy;

/// <summary>
/// Keeps the tenant context of an interactive circuit equal to its signed-in user: set when the circuit opens, before
/// each inbound activity, and whenever the authentication state changes.
/// </summary>
internal sealed class CallerCircuitHandler(AuthenticationStateProvider authentication, TenantContext tenantContext) : CircuitHandler, IDisposable
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        authentication.AuthenticationStateChanged += OnAuthenticationChanged;
        await RefreshAsync();
    }

    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            await RefreshAsync();
            await next(context);
        };

    private async Task RefreshAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        tenantContext.Set(CallerPrincipal.ToCaller(state.User));
    }

    private void OnAuthenticationChanged(Task<AuthenticationState> task) =>
        _ = task.ContinueWith(t => tenantContext.Set(CallerPrincipal.ToCaller(t.Result.User)), TaskContinuationOptions.OnlyOnRanToCompletion);

    public void Dispose() => authentication.AuthenticationStateChanged -= OnAuthenticationChanged;
}
