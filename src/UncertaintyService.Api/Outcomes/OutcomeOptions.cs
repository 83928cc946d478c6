using System.ComponentModel.DataAnnotations;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// The <c>Outcomes</c> section: where predictions and the outcomes applications report are stored, how long
/// they are kept, and how live calibration is judged (README: Calibration in production).
/// </summary>
public sealed class OutcomeOptions
{
    /// <summary>Off: no prediction ids, no /v1/outcomes, nothing written.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Folder of the SQLite file (outcomes.db), absolute or relative to the content root; used when no PostgreSQL connection string is set.</summary>
    [Required]
    public string DataFolder { get; set; } = "data";

    /// <summary>A PostgreSQL connection string (Npgsql's format); when set, the store is that database instead of SQLite.</summary>
    public string PostgresConnectionString { get; set; } = "";

    /// <summary>Also store each prompt's text with its prediction (off: only adapter, method, probabilities and time are stored).</summary>
    public bool StorePrompts { get; set; }

    /// <summary>Predictions waiting for the writer; when it falls this far behind, new ones are dropped and counted, and requests are answered as usual.</summary>
    [Range(1, 10_000_000)] public int QueueCapacity { get; set; } = 50_000;

    /// <summary>Most predictions the writer stores in one transaction.</summary>
    [Range(1, 100_000)] public int WriteBatch { get; set; } = 1_000;

    /// <summary>Predictions (and their outcomes) older than this are deleted; an outcome for one is refused as expired.</summary>
    [Range(0.001, 100_000)] public double RetentionHours { get; set; } = 24 * 30;

    /// <summary>At most this many predictions are kept, the newest.</summary>
    [Range(1, 1_000_000_000)] public long RetentionPredictions { get; set; } = 5_000_000;

    /// <summary>
    /// Live calibration window: the most recent outcomes, at most this many... (bounded: one evaluation reads this
    /// many rows and scores 200 bootstrap resamples of them, per method)
    /// </summary>
    [Range(1, 100_000)] public int WindowOutcomes { get; set; } = 1_000;

    /// <summary>...and none older than this.</summary>
    [Range(0.001, 100_000)] public double WindowHours { get; set; } = 24;

    /// <summary>Drift is flagged when the live ECE's bootstrap lower bound exceeds the offline test ECE by more than this.</summary>
    [Range(0, 1)] public double DriftMargin { get; set; } = 0.05;

    /// <summary>Fewer outcomes than this in the window never flag drift.</summary>
    [Range(1, 1_000_000)] public int DriftMinOutcomes { get; set; } = 200;

    /// <summary>How often live calibration is recomputed for the gauges and the drift flag.</summary>
    [Range(0.1, 86_400)] public double EvaluateSeconds { get; set; } = 30;
}
