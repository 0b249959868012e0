using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Runs;

/// <summary><c>Portal:Runs</c>: the batch-run queue and its workers.</summary>
public sealed class RunOptions
{
    public const string Section = "Portal:Runs";

    /// <summary>Runs worked at the same time by this process (0 turns the worker off, e.g. for a web-only node).</summary>
    [Range(0, 64)]
    public int Parallelism { get; set; } = 1;

    /// <summary>Rows read, scored and committed together; a crash loses at most one chunk of work.</summary>
    [Range(16, 1_000_000)]
    public int ChunkRows { get; set; } = 4096;

    /// <summary>
    /// Chunks of one run with the model at once, each scored on a thread of its own while the run's thread reads the
    /// next chunk and stores the scored ones in order. Reading and validating a chunk of a small model's rows takes
    /// about as long as scoring it, so more than a few only adds memory (one chunk each); 1 reads and scores in turn.
    /// </summary>
    [Range(1, 64)]
    public int ChunksWithModel { get; set; } = 3;

    /// <summary>How long a worker's claim on a run lasts without a renewal; after that another worker takes it over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a working run records its progress, renews its lease and looks for a cancel request from another
    /// process (a cancel in the same process stops it at once). Keep it well under <see cref="Lease"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often an idle worker looks for queued runs (new runs in this process wake it at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a run's quota reservation holds while it waits and works.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan ReservationHold { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Errors listed in a validation report (all of them go into the downloadable error file).</summary>
    [Range(1, 100_000)]
    public int ReportErrors { get; set; } = 200;
}
