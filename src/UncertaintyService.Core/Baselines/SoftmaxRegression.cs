namespace UncertaintyService.Core.Baselines;

/// <summary>
/// Multinomial logistic regression on sparse features: logits W x + b, fitted by full-batch gradient
/// descent with momentum on the mean cross-entropy plus an L2 penalty on W. Small and deterministic
/// (zero start, fixed steps): a baseline, not a tuned classifier.
/// </summary>
public sealed class SoftmaxRegression
{
    private readonly double[,] weights;
    private readonly double[] bias;
    private readonly bool useBias;

    private SoftmaxRegression(int classes, int features, bool useBias)
    {
        weights = new double[classes, features];
        bias = new double[classes];
        this.useBias = useBias;
    }

    public int Classes => bias.Length;

    /// <param name="useBias">False for preference pairs (features are differences; swapping the pair must flip the answer).</param>
    public static SoftmaxRegression Fit(IReadOnlyList<(int Index, double Value)[]> x, IReadOnlyList<int> labels, int classes, int features,
        double l2 = 1e-3, int steps = 300, double rate = 0.5, bool useBias = true)
    {
        var model = new SoftmaxRegression(classes, features, useBias);
        var velocityW = new double[classes, features];
        var velocityB = new double[classes];
        int n = x.Count;
        for (int step = 0; step < steps; step++)
        {
            var gradW = new double[classes, features];
            var gradB = new double[classes];
            for (int i = 0; i < n; i++)
            {
                var p = model.Probabilities(x[i]);
                p[labels[i]] -= 1;
                for (int c = 0; c < classes; c++)
                {
                    gradB[c] += p[c] / n;
                    foreach (var (j, v) in x[i]) gradW[c, j] += p[c] * v / n;
                }
            }
            for (int c = 0; c < classes; c++)
            {
                if (useBias)
                {
                    velocityB[c] = 0.9 * velocityB[c] - rate * gradB[c];
                    model.bias[c] += velocityB[c];
                }
                for (int j = 0; j < features; j++)
                {
                    velocityW[c, j] = 0.9 * velocityW[c, j] - rate * (gradW[c, j] + l2 * model.weights[c, j]);
                    model.weights[c, j] += velocityW[c, j];
                }
            }
        }
        return model;
    }

    public double[] Logits((int Index, double Value)[] x)
    {
        var logits = new double[Classes];
        for (int c = 0; c < Classes; c++)
        {
            double z = bias[c];
            foreach (var (j, v) in x) z += weights[c, j] * v;
            logits[c] = z;
        }
        return logits;
    }

    public double[] Probabilities((int Index, double Value)[] x) => Prediction.Softmax.Of(Logits(x));
}
