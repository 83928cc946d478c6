using UncertaintyService.Core.Laplace;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Fits temperature scaling's T by validation NLL: for classification logits z with label y,
/// NLL(T) = mean -log softmax(z / T)_y; for reward differences d = r_c - r_r of pairs whose chosen
/// response was preferred, NLL(T) = mean -log sigmoid(d / T). One scalar, searched over log T.
/// </summary>
public static class TemperatureFit
{
    public const double MinTemperature = 1e-2, MaxTemperature = 1e2;

    public static (double Temperature, double Nll) Classification(IReadOnlyList<double[]> logits, IReadOnlyList<int> labels)
    {
        if (logits.Count == 0 || logits.Count != labels.Count) throw new ArgumentException("need one label per row of logits, and at least one row");
        return Minimise(t => logits.Select((z, i) => -LogSoftmax(z, t, labels[i])).Average());
    }

    public static (double Temperature, double Nll) Preferences(IReadOnlyList<double> differences)
    {
        if (differences.Count == 0) throw new ArgumentException("need at least one preference pair");
        // -log sigmoid(x) = log(1 + exp(-x)), written so it neither overflows nor loses small values.
        return Minimise(t => differences.Select(d => Softplus(-d / t)).Average());
    }

    public static double LogSoftmax(double[] logits, double temperature, int index)
    {
        double max = logits.Max() / temperature;
        double sum = logits.Sum(z => Math.Exp(z / temperature - max));
        return logits[index] / temperature - max - Math.Log(sum);
    }

    private static double Softplus(double x) => x > 0 ? x + double.LogP1(Math.Exp(-x)) : double.LogP1(Math.Exp(x));

    private static (double, double) Minimise(Func<double, double> nll)
    {
        var (t, negated) = LogScaleSearch.Maximise(x => -nll(x), MinTemperature, MaxTemperature);
        return (t, -negated);
    }
}
