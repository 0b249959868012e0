namespace Portal.Core.Tenancy;

/// <summary>Thrown when code tries to write data into a tenant other than the caller's.</summary>
public sealed class TenantAccessException(string message) : InvalidOperationException(message);
