using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Risk-coverage from reliability bins: the lowest confidence threshold whose answered part (every
/// example at or above it) reaches a target accuracy, with the coverage and accuracy it had on the
/// data the bins came from. Answering only above the threshold and abstaining below sends the doubtful
/// cases to a person.
/// </summary>
public static class SelectivePrediction
{
    public sealed record Threshold(double Confidence, double Coverage, double Accuracy);

    /// <summary>Null when no threshold reaches <paramref name="targetAccuracy"/> (then every answer should abstain).</summary>
    public static Threshold? For(IReadOnlyList<ReliabilityBin> bins, double targetAccuracy)
    {
        int total = bins.Sum(b => b.Count);
        if (total == 0) return null;
        Threshold? best = null;
        double correct = 0;
        int answered = 0;
        // From the most confident bin down: each step answers one more bin; keep the lowest threshold still on target.
        foreach (var bin in bins.OrderByDescending(b => b.Lower))
        {
            if (bin.Count == 0) continue;
            answered += bin.Count;
            correct += bin.Accuracy * bin.Count;
            double accuracy = correct / answered;
            if (accuracy >= targetAccuracy) best = new Threshold(bin.Lower, (double)answered / total, accuracy);
        }
        return best;
    }
}
