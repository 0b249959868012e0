using System.Text.Json.Serialization;
using Portal.Core.Templates;
using Portal.Core.Tenancy;

namespace Portal.Core.Runs;

[JsonConverter(typeof(JsonStringEnumConverter<RunState>))]
public enum RunState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
}

/// <summary>
/// A batch run: a template's model over a dataset's valid rows, owned by a user in a tenant. Worked by the durable
/// queue (<see cref="RunQueue"/>); results live in a per-run file (<see cref="RunResultsStore"/>).
/// </summary>
public sealed class Run : ITenantOwned
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TenantId { get; set; }

    public required string OwnerId { get; set; }

    /// <summary>The API key that started it, or null for the browser.</summary>
    public Guid? ApiKeyId { get; set; }

    public required string TemplateId { get; set; }

    public required string ModelVersion { get; set; }

    public Guid DatasetId { get; set; }

    /// <summary>The dataset's name when the run was made (the dataset may be renamed or deleted later).</summary>
    public required string DatasetName { get; set; }

    /// <summary>Template input → file column.</summary>
    public Dictionary<string, string> Mapping { get; set; } = [];

    /// <summary>The file's column holding the template's label (the run is evaluated against it), or null.</summary>
    public string? LabelColumn { get; set; }

    public RunState State { get; set; }

    /// <summary>Valid rows to score.</summary>
    public int RowsTotal { get; set; }

    /// <summary>Rows of the file left out because they failed validation.</summary>
    public int RowsInvalid { get; set; }

    /// <summary>Rows scored and committed to the results.</summary>
    public int RowsDone { get; set; }

    /// <summary>PredictionRows charged when the run finished.</summary>
    public long Charged { get; set; }

    /// <summary>The PredictionRows reservation held while the run is queued or running.</summary>
    public Guid? ReservationId { get; set; }

    /// <summary>The StorageBytes reservation for the results, held while the run is queued or running.</summary>
    public Guid? StorageReservationId { get; set; }

    /// <summary>
    /// StorageBytes of the results: the estimate reserved while <see cref="StorageReservationId"/> is held, then the size
    /// charged when the run finished; 0 once the results are deleted (the bytes go back to the owner).
    /// </summary>
    public long ResultsBytes { get; set; }

    /// <summary>What the results were charged once settled; null while only the estimate is held.</summary>
    public long? ChargedResultsBytes => StorageReservationId is null ? ResultsBytes : null;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When its owner or a tenant admin deleted the results (the run stays in the history with its counts and charge).</summary>
    public DateTimeOffset? ResultsDeletedAt { get; set; }

    /// <summary>Why the run failed, in English (the API's <c>error</c>).</summary>
    public string? Error { get; set; }

    /// <summary>The same as a message that pages show in the reader's language (null for runs that failed before it was kept).</summary>
    public LocalizableText? ErrorText { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>The worker that holds the run and until when (renewed after every chunk); an expired lease is taken over.</summary>
    public string? WorkerId { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>How many times a worker has started on it (more than one after a crash or restart).</summary>
    public int Attempts { get; set; }

    /// <summary>Metrics against the label column, when the file had one.</summary>
    public ModelMetrics? Metrics { get; set; }

    /// <summary>Rows that had a usable label (what <see cref="Metrics"/> is computed on).</summary>
    public int LabelledRows { get; set; }

    public bool IsFinished => State is RunState.Succeeded or RunState.Failed or RunState.Cancelled;
}
