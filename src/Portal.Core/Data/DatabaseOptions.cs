using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Data;

/// <summary>The database engines the portal runs on.</summary>
public enum DatabaseProvider
{
    /// <summary>One file next to the portal (the default): one machine, nothing to install.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: several web nodes and workers sharing one store.</summary>
    PostgreSQL,
}

/// <summary>
/// <c>Portal:Database</c>: which engine holds the portal's data. The connection string is <c>ConnectionStrings:Portal</c>
/// (SQLite: a file, by default <c>Data Source=App_Data/portal.db</c>; PostgreSQL: required, e.g.
/// <c>Host=db;Database=portal;Username=portal;Password=…</c>). Each engine has its own migrations, applied at start-up.
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Portal:Database";

    [EnumDataType(typeof(DatabaseProvider))]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}
