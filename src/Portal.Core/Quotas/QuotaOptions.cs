using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Quotas;

/// <summary><c>Portal:Quotas</c>.</summary>
public sealed class QuotaOptions
{
    public const string Section = "Portal:Quotas";

    /// <summary>How long an unsettled reservation holds quota before the sweeper returns it (work that crashed).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Name of the plan given to tenants created by self-registration.</summary>
    [Required]
    public string DefaultPlan { get; set; } = "Free";
}
