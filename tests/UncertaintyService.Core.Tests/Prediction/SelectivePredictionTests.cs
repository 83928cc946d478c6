using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Core.Tests.Prediction;

/// <summary>Risk-coverage thresholds from reliability bins, checked by hand.</summary>
public class SelectivePredictionTests
{
    // 100 examples: 40 at confidence ~0.95 (all right), 30 at ~0.75 (two thirds right), 30 at ~0.45 (a third right).
    private static readonly ReliabilityBin[] Bins =
    [
        new(0.4, 0.5, 30, 0.45, 1.0 / 3),
        new(0.7, 0.8, 30, 0.75, 2.0 / 3),
        new(0.9, 1.0, 40, 0.95, 1.0),
        new(0.0, 0.1, 0, 0, 0),
    ];

    [Fact]
    public void TheLowestThresholdOnTargetIsChosenWithItsCoverageAndAccuracy()
    {
        // Answering the top two bins: (40 + 20) / 70 = 0.857; all three: 70 / 100 = 0.7.
        var threshold = SelectivePrediction.For(Bins, 0.85)!;
        Assert.Equal(0.7, threshold.Confidence);
        Assert.Equal(0.7, threshold.Coverage, 12);
        Assert.Equal(60.0 / 70, threshold.Accuracy, 12);

        Assert.Equal(0.4, SelectivePrediction.For(Bins, 0.7)!.Confidence);
        Assert.Equal(0.9, SelectivePrediction.For(Bins, 0.9)!.Confidence);
    }

    [Fact]
    public void AnUnreachableTargetOrNoDataGivesNoThreshold()
    {
        Assert.Null(SelectivePrediction.For([new(0.5, 0.6, 10, 0.55, 0.5)], 0.9));
        Assert.Null(SelectivePrediction.For([new(0.5, 0.6, 0, 0, 0)], 0.5));
    }
}
