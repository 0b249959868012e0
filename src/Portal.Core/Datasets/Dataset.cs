using Portal.Core.Tenancy;

namespace Portal.Core.Datasets;

/// <summary>An uploaded data file: owned by its uploader in a tenant, stored under a generated name.</summary>
public sealed class Dataset : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public required string OwnerId { get; set; }

    /// <summary>Display name (the file name by default; users may rename it).</summary>
    public required string Name { get; set; }

    /// <summary>The name the file had on the user's machine (display only, never a path).</summary>
    public required string FileName { get; set; }

    public DatasetFormat Format { get; set; }

    /// <summary>Path of the stored file relative to the storage root (generated).</summary>
    public required string StoredPath { get; set; }

    public long SizeBytes { get; set; }

    public int RowCount { get; set; }

    /// <summary>Rows whose shape is wrong (cell count, not an object): counted at upload, left out of runs.</summary>
    public int MalformedRows { get; set; }

    public List<DatasetColumn> Columns { get; set; } = [];

    /// <summary>How the file was read (format, encoding, delimiter).</summary>
    public required string ReadAs { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A column of a data file and the type its values suggest.</summary>
public sealed record DatasetColumn(string Name, ColumnKind Kind, int Empty);

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ColumnKind>))]
public enum ColumnKind
{
    /// <summary>Every non-empty value is a number.</summary>
    Number,
    /// <summary>Some values are text.</summary>
    Text,
    /// <summary>No values at all.</summary>
    Empty,
}
