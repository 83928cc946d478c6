using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Core.Prediction;

/// <summary>Accuracy, ECE, NLL and Brier score of predicted class probabilities against true labels.</summary>
public static class CalibrationMetricsCalculator
{
    /// <summary>Probabilities below this are clamped before the log, so one confident miss cannot make the NLL infinite.</summary>
    public const double ProbabilityFloor = 1e-12;

    /// <summary>
    /// Metrics of <paramref name="probabilities"/> (one row of class probabilities per example; rows may be over different label sets)
    /// against <paramref name="labels"/> (class indices). Accuracy counts the top class (the first on
    /// ties). ECE = sum_b (n_b / N) |accuracy_b - confidence_b| over <paramref name="bins"/>
    /// equal-width bins [i/B, (i+1)/B) of the top-class confidence, the last closed so that 1.0
    /// belongs to it. Every bin is returned; an empty one has count, confidence and accuracy 0.
    /// NLL = mean -log max(p_label, 1e-12); Brier = mean sum_c (p_c - onehot_c)^2.
    /// </summary>
    /// <param name="predicted">
    /// The class each example is answered with, when it is not the top class of <paramref name="probabilities"/>
    /// (a MAP-argmax prediction with the predictive's probabilities): accuracy counts it and ECE bins its probability.
    /// </param>
    public static CalibrationMetrics Compute(double[][] probabilities, int[] labels, int bins = 15, int[]? predicted = null)
    {
        Validate(probabilities, labels, bins);
        if (predicted is not null && predicted.Length != labels.Length)
            throw new ArgumentException($"{predicted.Length} predictions for {labels.Length} labels", nameof(predicted));
        for (int i = 0; predicted is not null && i < predicted.Length; i++)
            if (predicted[i] < 0 || predicted[i] >= probabilities[i].Length)
                throw new ArgumentOutOfRangeException(nameof(predicted), predicted[i], $"Prediction {i} is not a class index in [0, {probabilities[i].Length}).");
        int n = labels.Length;
        var counts = new int[bins];
        var confidenceSums = new double[bins];
        var correctCounts = new int[bins];
        double nll = 0, brier = 0;
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            var p = probabilities[i];
            int top = 0;
            for (int c = 1; c < p.Length; c++)
                if (p[c] > p[top]) top = c;
            if (predicted is not null) top = predicted[i];
            bool hit = top == labels[i];
            int bin = BinOf(p[top], bins);
            counts[bin]++;
            confidenceSums[bin] += p[top];
            if (hit)
            {
                correctCounts[bin]++;
                correct++;
            }
            nll -= Math.Log(Math.Max(p[labels[i]], ProbabilityFloor));
            for (int c = 0; c < p.Length; c++)
            {
                double error = p[c] - (c == labels[i] ? 1.0 : 0.0);
                brier += error * error;
            }
        }

        var reliability = new ReliabilityBin[bins];
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            double confidence = counts[b] > 0 ? confidenceSums[b] / counts[b] : 0;
            double accuracy = counts[b] > 0 ? (double)correctCounts[b] / counts[b] : 0;
            reliability[b] = new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, counts[b], confidence, accuracy);
            ece += (double)counts[b] / n * Math.Abs(accuracy - confidence);
        }
        return new CalibrationMetrics
        {
            Acc = (double)correct / n,
            Ece = ece,
            Nll = nll / n,
            Brier = brier / n,
            N = n,
            Bins = reliability,
        };
    }

    // Checked against the bin edges as ReliabilityBin reports them (b / bins), so that a confidence
    // equal to an edge, like 0.6 with 15 bins, lands in the bin that starts there whatever floor(0.6 * 15) rounds to.
    private static int BinOf(double confidence, int bins)
    {
        int bin = Math.Clamp((int)Math.Floor(confidence * bins), 0, bins - 1);
        if (bin > 0 && confidence < (double)bin / bins) bin--;
        else if (bin < bins - 1 && confidence >= (double)(bin + 1) / bins) bin++;
        return bin;
    }

    private static void Validate(double[][] probabilities, int[] labels, int bins)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (labels.Length == 0)
            throw new ArgumentException("Metrics need at least one example.", nameof(labels));
        if (probabilities.Length != labels.Length)
            throw new ArgumentException($"{probabilities.Length} probability rows for {labels.Length} labels.", nameof(probabilities));
        // Rows may have different lengths (live outcomes of requests with their own label sets): every metric
        // is a mean of per-row terms over the row's own classes and top class.
        for (int i = 0; i < labels.Length; i++)
        {
            var row = probabilities[i];
            if (row is null || row.Length == 0)
                throw new ArgumentException($"Row {i} has no probabilities; every row needs at least one.", nameof(probabilities));
            if (row.Any(p => !double.IsFinite(p) || p < 0 || p > 1))
                throw new ArgumentException($"Row {i} has a value outside [0, 1].", nameof(probabilities));
            if (labels[i] < 0 || labels[i] >= row.Length)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label {i} is not a class index in [0, {row.Length}).");
        }
    }
}
