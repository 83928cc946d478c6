using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Core.Tests.Prediction;

public class CalibrationMetricsTests
{
    private const double Tight = 1e-14;

    [Fact]
    public void PerfectlyCalibratedPredictionsHaveZeroEce()
    {
        // Confidence 0.75 on every example, right on three of four.
        double[][] p = [[0.75, 0.25], [0.75, 0.25], [0.75, 0.25], [0.75, 0.25]];
        var metrics = CalibrationMetricsCalculator.Compute(p, [0, 0, 0, 1]);

        Assert.Equal(0, metrics.Ece, Tight);
        Assert.Equal(0.75, metrics.Acc, Tight);
        Assert.Equal(-(3 * Math.Log(0.75) + Math.Log(0.25)) / 4, metrics.Nll, Tight);
        Assert.Equal((3 * 0.125 + 1.125) / 4, metrics.Brier, Tight); // hit: 0.25^2 + 0.25^2, miss: 0.75^2 + 0.75^2
        Assert.Equal(4, metrics.N);
        var bins = metrics.Bins!;
        Assert.Equal(15, bins.Count);
        Assert.Equal(new ReliabilityBinView(11.0 / 15, 12.0 / 15, 4, 0.75, 0.75), View(bins[11]));
        Assert.All(bins.Where((_, i) => i != 11), b => Assert.Equal((0, 0.0, 0.0), (b.Count, b.Confidence, b.Accuracy)));
    }

    [Fact]
    public void AGivenPredictionIsCountedAndBinnedByItsOwnProbability()
    {
        // The top classes are 0 and 1, but the answers given are 1 and 1 (say, MAP's argmax).
        double[][] p = [[0.6, 0.4], [0.3, 0.7]];
        var metrics = CalibrationMetricsCalculator.Compute(p, [1, 0], predicted: [1, 1]);

        Assert.Equal(0.5, metrics.Acc, Tight);                                // right on the first only
        Assert.Equal((Math.Abs(1 - 0.4) + Math.Abs(0 - 0.7)) / 2, metrics.Ece, Tight); // confidence 0.4 (bin 6) and 0.7 (bin 10)
        Assert.Equal(-(Math.Log(0.4) + Math.Log(0.3)) / 2, metrics.Nll, Tight);     // NLL and Brier do not depend on the answer
        Assert.Equal(1, metrics.Bins![6].Count);
        Assert.Equal(1, metrics.Bins![10].Count);
    }

    [Fact]
    public void HandComputedExampleWithAnEdgeConfidenceATieAndCertainty()
    {
        double[][] p =
        [
            [0.9, 0.05, 0.05], // top 0, right: confidence 0.9 -> bin 13
            [0.2, 0.6, 0.2],   // top 1, wrong: confidence 0.6 = 9/15 exactly -> bin 9
            [0.0, 0.0, 1.0],   // top 2, right: confidence 1.0 -> the last bin
            [0.5, 0.5, 0.0],   // tie -> top 0, wrong: confidence 0.5 -> bin 7
        ];
        var metrics = CalibrationMetricsCalculator.Compute(p, [0, 2, 2, 1]);

        Assert.Equal((0.1 + 0.6 + 0.0 + 0.5) / 4, metrics.Ece, Tight);
        Assert.Equal(0.5, metrics.Acc, Tight);
        Assert.Equal(-(Math.Log(0.9) + Math.Log(0.2) + Math.Log(1.0) + Math.Log(0.5)) / 4, metrics.Nll, Tight);
        Assert.Equal((0.015 + 1.04 + 0 + 0.5) / 4, metrics.Brier, Tight);
        var counts = metrics.Bins!.Select(b => b.Count).ToArray();
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1], counts);
        Assert.Equal((14.0 / 15, 1.0, 1.0, 1.0), (metrics.Bins![14].Lower, metrics.Bins[14].Upper, metrics.Bins[14].Confidence, metrics.Bins[14].Accuracy));
    }

    [Fact]
    public void ExamplesSharingABinAreAveragedBeforeTheGap()
    {
        // 10 bins: 0.62 (right) and 0.68 (wrong) share bin 6: |0.5 - 0.65| weighs 2/3; 0.95 (right): |1 - 0.95| weighs 1/3.
        double[][] p = [[0.62, 0.38], [0.68, 0.32], [0.95, 0.05]];
        var metrics = CalibrationMetricsCalculator.Compute(p, [0, 1, 0], bins: 10);
        Assert.Equal(2.0 / 3 * 0.15 + 1.0 / 3 * 0.05, metrics.Ece, 1e-12);
        Assert.Equal(10, metrics.Bins!.Count);
        Assert.Equal(new ReliabilityBinView(0.6, 0.7, 2, 0.65, 0.5), View(metrics.Bins[6]), new ViewComparer(1e-12));
    }

    [Fact]
    public void EveryBinEdgeBelongsToTheBinThatStartsThere()
    {
        var edges = Enumerable.Range(8, 8).Select(k => k / 15.0).ToArray(); // 8/15 .. 15/15: class 0 on top
        var metrics = CalibrationMetricsCalculator.Compute(edges.Select(c => new[] { c, 1 - c }).ToArray(), new int[edges.Length]);
        var counts = metrics.Bins!.Select(b => b.Count).ToArray();
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2], counts);
    }

    [Fact]
    public void ZeroProbabilityOnTheLabelIsClampedInTheNll()
    {
        var metrics = CalibrationMetricsCalculator.Compute([[1.0, 0.0]], [1]);
        Assert.Equal(-Math.Log(1e-12), metrics.Nll, Tight);
        Assert.Equal(1.0, metrics.Ece, Tight);
        Assert.Equal(2.0, metrics.Brier, Tight);
        Assert.Equal(0.0, metrics.Acc);
    }

    [Fact]
    public void NllAndBrierFollowTheirFormulasOnRandomPredictions()
    {
        var random = new Random(7);
        var logits = Enumerable.Range(0, 60).Select(_ => Enumerable.Range(0, 4).Select(_ => 3 * random.NextDouble()).ToArray()).ToArray();
        var p = logits.Select(z => z.Select(Math.Exp).Select(e => e / z.Sum(Math.Exp)).ToArray()).ToArray();
        var labels = p.Select(_ => random.Next(4)).ToArray();

        var metrics = CalibrationMetricsCalculator.Compute(p, labels);

        Assert.Equal(p.Select((row, i) => -Math.Log(row[labels[i]])).Average(), metrics.Nll, 1e-12);
        Assert.Equal(p.Select((row, i) => row.Select((pc, c) => Math.Pow(pc - (c == labels[i] ? 1 : 0), 2)).Sum()).Average(), metrics.Brier, 1e-12);
        Assert.Equal(p.Select((row, i) => Array.IndexOf(row, row.Max()) == labels[i] ? 1.0 : 0.0).Average(), metrics.Acc, 1e-12);
        Assert.Equal(60, metrics.Bins!.Sum(b => b.Count));
        double ece = metrics.Bins!.Sum(b => b.Count / 60.0 * Math.Abs(b.Accuracy - b.Confidence));
        Assert.Equal(ece, metrics.Ece, 1e-12);
    }

    [Fact]
    public void RowsOverDifferentLabelSetsAreEachScoredOverTheirOwnClasses()
    {
        // Two answers over two labels and one over three (a request with its own labels), worked by hand.
        var metrics = CalibrationMetricsCalculator.Compute([[0.7, 0.3], [0.2, 0.5, 0.3], [0.9, 0.1]], [0, 1, 1], bins: 10);

        Assert.Equal(2.0 / 3, metrics.Acc, 12);
        Assert.Equal(-(Math.Log(0.7) + Math.Log(0.5) + Math.Log(0.1)) / 3, metrics.Nll, 12);
        Assert.Equal(((0.09 + 0.09) + (0.04 + 0.25 + 0.09) + (0.81 + 0.81)) / 3, metrics.Brier, 12);
        // Bins 0.5-0.6 (right at 0.5), 0.7-0.8 (right at 0.7), 0.9-1.0 (wrong at 0.9).
        Assert.Equal((Math.Abs(1 - 0.5) + Math.Abs(1 - 0.7) + Math.Abs(0 - 0.9)) / 3, metrics.Ece, 12);
    }

    [Fact]
    public void MalformedInputsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => CalibrationMetricsCalculator.Compute([], []));
        Assert.Throws<ArgumentException>(() => CalibrationMetricsCalculator.Compute([[0.5, 0.5]], [0, 1]));
        Assert.Throws<ArgumentException>(() => CalibrationMetricsCalculator.Compute([[0.5, 0.5], []], [0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationMetricsCalculator.Compute([[0.5, 0.5], [1.0]], [0, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationMetricsCalculator.Compute([[0.5, 0.5], [1.0]], [0, 0], predicted: [0, 1]));
        Assert.Throws<ArgumentException>(() => CalibrationMetricsCalculator.Compute([[0.5, double.NaN]], [0]));
        Assert.Throws<ArgumentException>(() => CalibrationMetricsCalculator.Compute([[1.5, -0.5]], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationMetricsCalculator.Compute([[0.5, 0.5]], [2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationMetricsCalculator.Compute([[0.5, 0.5]], [0], bins: 0));
    }

    private sealed record ReliabilityBinView(double Lower, double Upper, int Count, double Confidence, double Accuracy);

    private static ReliabilityBinView View(Bundles.ReliabilityBin b) => new(b.Lower, b.Upper, b.Count, b.Confidence, b.Accuracy);

    private sealed class ViewComparer(double tolerance) : IEqualityComparer<ReliabilityBinView>
    {
        public bool Equals(ReliabilityBinView? x, ReliabilityBinView? y) =>
            x is not null && y is not null && x.Count == y.Count
            && new[] { x.Lower - y.Lower, x.Upper - y.Upper, x.Confidence - y.Confidence, x.Accuracy - y.Accuracy }.All(d => Math.Abs(d) <= tolerance);

        public int GetHashCode(ReliabilityBinView obj) => obj.Count;
    }
}
