using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Http;

/// <summary>The truths applications learnt for predictions the service answered.</summary>
public sealed record OutcomesRequest
{
    /// <summary>One entry per prediction, at most Limits:MaxOutcomesPerRequest.</summary>
    public IReadOnlyList<OutcomeInput?>? Outcomes { get; init; }
}

/// <summary>
/// A prediction's outcome: for a classification the true label; for a reward pair either which response people
/// preferred (label "chosen" or "rejected") or the fraction of votes for the chosen one (vote_fraction, not 0.5).
/// </summary>
public sealed record OutcomeInput
{
    /// <summary>The prediction_id a /v1/classify result or a /v1/reward pair carried.</summary>
    /// <example>0193a5f2-8c1e-7d4b-9a63-2f0e5b7c1d84</example>
    public string? PredictionId { get; init; }

    /// <summary>The true label (one of the labels the prediction was over), or for a pair "chosen" / "rejected".</summary>
    /// <example>B</example>
    public string? Label { get; init; }

    /// <summary>For a pair instead of label: the fraction of people who preferred the chosen response, in [0, 1] and not 0.5.</summary>
    public double? VoteFraction { get; init; }
}

/// <param name="Accepted">Outcomes stored.</param>
public sealed record OutcomesResponse(int Accepted);

/// <summary>Live calibration of an adapter's methods over the configured window, beside the offline test split.</summary>
/// <param name="WindowOutcomes">The window: at most this many of the newest outcomes...</param>
/// <param name="WindowHours">...none older than this.</param>
public sealed record LiveCalibrationResponse(string Adapter, int WindowOutcomes, double WindowHours, IReadOnlyList<LiveMethodCalibration> Methods);

/// <summary>One method's live calibration.</summary>
/// <param name="Outcomes">Outcomes in the window.</param>
/// <param name="Predictions">Predictions answered in the window's hours.</param>
/// <param name="OutcomeCoverage">The share of those predictions that have an outcome: how much of what was answered has come back with its truth.</param>
/// <param name="Live">Accuracy, ECE, NLL, Brier and the 15 reliability bins of the window (null without outcomes).</param>
/// <param name="Offline">The adapter's calibration.json test split for this method, bins included.</param>
/// <param name="Drift">Whether live ECE is above the offline ECE by more than the margin, with its bootstrap interval.</param>
/// <param name="Selective">With target_accuracy: the confidence threshold the live bins say reaches it, and the coverage at it.</param>
public sealed record LiveMethodCalibration(string Method, int Outcomes, long Predictions, double? OutcomeCoverage, CalibrationMetrics? Live,
    CalibrationMetrics? Offline, Outcomes.LiveCalibration.Drift Drift, LiveSelective? Selective);

/// <summary>Risk-coverage on the live bins: answer at or above Threshold, abstain below.</summary>
/// <param name="Threshold">Null when no threshold reaches the target on the live outcomes.</param>
public sealed record LiveSelective(double TargetAccuracy, double? Threshold, double? Coverage, double? Accuracy);
