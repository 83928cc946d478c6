using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// Calibration of the predictions that got outcomes, measured exactly as <c>evaluate</c> measures a split
/// (<see cref="CalibrationMetricsCalculator"/>, 15 bins, the answered class counted), and the drift test
/// against the offline test-split ECE.
/// </summary>
public static class LiveCalibration
{
    public const int Bins = 15;
    public const int BootstrapResamples = 200;

    /// <summary>The drift judgement: live ECE's 90% bootstrap interval against the offline ECE plus the margin.</summary>
    /// <param name="Flag">True when there are at least the minimum outcomes and the interval's lower end is above offline ECE + margin.</param>
    /// <param name="Reason">Why the flag is what it is, in words.</param>
    public sealed record Drift(bool Flag, double? OfflineEce, double Margin, double? LiveEceLower, double? LiveEceUpper, int Outcomes, int MinOutcomes, string Reason);

    /// <summary>Metrics of <paramref name="rows"/>; null when there are none. Vote agreement is added when every row has a vote fraction.</summary>
    public static CalibrationMetrics? Metrics(IReadOnlyList<ScoredPrediction> rows)
    {
        if (rows.Count == 0) return null;
        var metrics = CalibrationMetricsCalculator.Compute(rows.Select(r => r.Probabilities).ToArray(), rows.Select(r => r.Label).ToArray(), Bins,
            rows.Select(r => r.Predicted).ToArray());
        if (!rows.All(r => r.VoteFraction is not null && r.Probabilities.Length == 2)) return metrics;
        // Aligned to the preferred response: p is the probability the service gave it, q the share of votes it got.
        var p = rows.Select(r => r.Probabilities[r.Label]).ToArray();
        var q = rows.Select(r => r.Label == 0 ? r.VoteFraction!.Value : 1 - r.VoteFraction!.Value).ToArray();
        return metrics with { HumanVotes = PreferenceMetricsCalculator.Agreement(p, q) };
    }

    /// <summary>
    /// Drift when the window holds at least <paramref name="minOutcomes"/> outcomes and the 5th percentile of the
    /// live ECE over <see cref="BootstrapResamples"/> bootstrap resamples (fixed seed) exceeds the offline ECE by
    /// more than <paramref name="margin"/>: the live calibration is then worse than offline with about 95% confidence,
    /// beyond what the small-sample bias of ECE (which the resampling carries too) explains.
    /// </summary>
    public static Drift Judge(IReadOnlyList<ScoredPrediction> rows, double? offlineEce, double margin, int minOutcomes)
    {
        if (offlineEce is null)
            return new Drift(false, null, margin, null, null, rows.Count, minOutcomes, "no offline test-split ECE for this method to compare with");
        if (rows.Count < minOutcomes)
            return new Drift(false, offlineEce, margin, null, null, rows.Count, minOutcomes, $"{rows.Count} outcomes, fewer than the {minOutcomes} needed");
        var random = new Random(0);
        var eces = new double[BootstrapResamples];
        var resample = new ScoredPrediction[rows.Count];
        for (int b = 0; b < BootstrapResamples; b++)
        {
            for (int i = 0; i < rows.Count; i++) resample[i] = rows[random.Next(rows.Count)];
            eces[b] = Metrics(resample)!.Ece;
        }
        Array.Sort(eces);
        double lower = eces[(int)(0.05 * (BootstrapResamples - 1))], upper = eces[(int)Math.Ceiling(0.95 * (BootstrapResamples - 1))];
        bool flag = lower > offlineEce.Value + margin;
        return new Drift(flag, offlineEce, margin, lower, upper, rows.Count, minOutcomes, flag
            ? $"live ECE is at least {lower:F3} (5th bootstrap percentile), above the offline {offlineEce.Value:F3} + {margin:F3}"
            : $"live ECE's 5th bootstrap percentile {lower:F3} is within the offline {offlineEce.Value:F3} + {margin:F3}");
    }

    /// <summary>The offline test-split ECE of a method, if the adapter's calibration report has it.</summary>
    public static double? OfflineEce(CalibrationReport? report, string method) =>
        report?.Splits.TryGetValue("test", out var test) == true && test.TryGetValue(method, out var metrics) ? metrics.Ece : null;
}
