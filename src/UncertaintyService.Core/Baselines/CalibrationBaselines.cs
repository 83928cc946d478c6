using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Core.Baselines;

/// <summary>
/// What a trivial predictor scores on the same split, so a report says whether a method learnt anything:
/// <c>baseline_uniform</c> (1/C each), <c>baseline_majority</c> (all mass on the training split's most
/// frequent class, floored as every NLL is), <c>baseline_frequency</c> (the training split's class
/// frequencies) and <c>baseline_bow</c> (bag-of-words logistic regression on the same training examples,
/// its temperature chosen on the validation split by NLL).
/// </summary>
public sealed class CalibrationBaselines
{
    public const string Uniform = "baseline_uniform", Majority = "baseline_majority", Frequency = "baseline_frequency", BagOfWordsName = "baseline_bow";

    private readonly BagOfWords words;
    private readonly SoftmaxRegression regression;
    private readonly double temperature;
    private readonly double[] frequencies;

    private CalibrationBaselines(BagOfWords words, SoftmaxRegression regression, double temperature, double[] frequencies)
    {
        this.words = words;
        this.regression = regression;
        this.temperature = temperature;
        this.frequencies = frequencies;
    }

    public double Temperature => temperature;

    /// <summary>Fits on the training texts and labels; the bag-of-words temperature on the validation ones (T = 1 when there are none).</summary>
    public static CalibrationBaselines Fit(IReadOnlyList<string> trainTexts, IReadOnlyList<int> trainLabels, int classes,
        IReadOnlyList<string> validationTexts, IReadOnlyList<int> validationLabels)
    {
        var words = BagOfWords.Fit(trainTexts);
        var regression = SoftmaxRegression.Fit(trainTexts.Select(words.Features).ToList(), trainLabels, classes, words.Size);
        double temperature = validationTexts.Count == 0 ? 1
            : TemperatureFit.Classification(validationTexts.Select(t => regression.Logits(words.Features(t))).ToList(), validationLabels).Temperature;
        var frequencies = new double[classes];
        foreach (int label in trainLabels) frequencies[label] += 1.0 / trainLabels.Count;
        return new CalibrationBaselines(words, regression, temperature, frequencies);
    }

    /// <summary>Each baseline's class probabilities for each text, by name.</summary>
    public IReadOnlyDictionary<string, double[][]> Predict(IReadOnlyList<string> texts)
    {
        int classes = frequencies.Length;
        int majority = Array.IndexOf(frequencies, frequencies.Max());
        return new Dictionary<string, double[][]>
        {
            [Uniform] = texts.Select(_ => Enumerable.Repeat(1.0 / classes, classes).ToArray()).ToArray(),
            [Majority] = texts.Select(_ => Enumerable.Range(0, classes).Select(c => c == majority ? 1.0 : 0.0).ToArray()).ToArray(),
            [Frequency] = texts.Select(_ => (double[])frequencies.Clone()).ToArray(),
            [BagOfWordsName] = texts.Select(t => Softmax.Of(regression.Logits(words.Features(t)), temperature)).ToArray(),
        };
    }

}
