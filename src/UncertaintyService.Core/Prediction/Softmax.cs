namespace UncertaintyService.Core.Prediction;

/// <summary>Class probabilities of logits, softmax(z / T), computed stably (the largest logit subtracted first).</summary>
public static class Softmax
{
    public static double[] Of(double[] logits, double temperature = 1)
    {
        double max = logits.Max() / temperature;
        var e = logits.Select(z => Math.Exp(z / temperature - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
