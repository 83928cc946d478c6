using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Core.Baselines;

/// <summary>
/// Trivial predictors of P(chosen preferred) for a reward report: <c>baseline_uniform</c> (1/2) and
/// <c>baseline_bow</c> (a bag-of-words Bradley-Terry model: logistic regression on the chosen text's
/// word features minus the rejected one's, no intercept so swapping a pair flips its answer, fitted on
/// the training pairs both ways round, its temperature chosen on the validation pairs). No frequency
/// baseline: every pair lists the majority's choice first, so "always the first" would read the answer
/// off the pair's order, which a reward model (one text at a time) cannot see.
/// </summary>
public sealed class PreferenceBaselines
{
    private readonly BagOfWords words;
    private readonly SoftmaxRegression regression;
    private readonly double temperature;

    private PreferenceBaselines(BagOfWords words, SoftmaxRegression regression, double temperature)
    {
        this.words = words;
        this.regression = regression;
        this.temperature = temperature;
    }

    public static PreferenceBaselines Fit(IReadOnlyList<(string Chosen, string Rejected)> train, IReadOnlyList<(string Chosen, string Rejected)> validation)
    {
        var words = BagOfWords.Fit(train.SelectMany(p => new[] { p.Chosen, p.Rejected }));
        var x = new List<(int, double)[]>();
        var y = new List<int>();
        foreach (var (chosen, rejected) in train)
        {
            x.Add(Difference(words, chosen, rejected));
            y.Add(1);
            x.Add(Difference(words, rejected, chosen));
            y.Add(0);
        }
        var regression = SoftmaxRegression.Fit(x, y, 2, words.Size, useBias: false);
        double temperature = validation.Count == 0 ? 1
            : TemperatureFit.Preferences(validation.Select(p => Margin(regression, Difference(words, p.Chosen, p.Rejected))).ToList()).Temperature;
        return new PreferenceBaselines(words, regression, temperature);
    }

    /// <summary>Each baseline's P(chosen preferred) for each pair, by name.</summary>
    public IReadOnlyDictionary<string, double[]> Predict(IReadOnlyList<(string Chosen, string Rejected)> pairs) => new Dictionary<string, double[]>
    {
        [CalibrationBaselines.Uniform] = pairs.Select(_ => 0.5).ToArray(),
        [CalibrationBaselines.BagOfWordsName] = pairs.Select(p => 1 / (1 + Math.Exp(-Margin(regression, Difference(words, p.Chosen, p.Rejected)) / temperature))).ToArray(),
    };

    // The Bradley-Terry margin: the logit of "chosen preferred" minus that of "rejected preferred".
    private static double Margin(SoftmaxRegression regression, (int Index, double Value)[] x)
    {
        var z = regression.Logits(x);
        return z[1] - z[0];
    }

    private static (int Index, double Value)[] Difference(BagOfWords words, string a, string b)
    {
        var sum = new Dictionary<int, double>();
        foreach (var (i, v) in words.Features(a)) sum[i] = sum.GetValueOrDefault(i) + v;
        foreach (var (i, v) in words.Features(b)) sum[i] = sum.GetValueOrDefault(i) - v;
        return sum.Where(p => p.Value != 0).OrderBy(p => p.Key).Select(p => (p.Key, p.Value)).ToArray();
    }
}
