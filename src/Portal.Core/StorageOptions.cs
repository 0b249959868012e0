using System.ComponentModel.DataAnnotations;

namespace Portal.Core;

/// <summary><c>Portal:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Portal:Storage";

    /// <summary>Folder for uploaded files, by tenant (relative to the content root).</summary>
    [Required]
    public string Root { get; set; } = "App_Data/storage";
}
