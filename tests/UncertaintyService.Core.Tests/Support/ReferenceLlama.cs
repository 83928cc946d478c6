using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>
/// The layer equations written out one position, head and sum at a time in plain doubles, for one
/// unpadded prompt: the slow reference the batched TorchSharp forward is checked against.
/// </summary>
internal sealed class ReferenceLlama(LlamaModel model, LoraAdapter? adapter)
{
    private readonly LlamaConfig config = model.Config;

    /// <summary>The head's outputs at the last token.</summary>
    public double[] HeadOutputs(int[] tokens, ModelHead head)
    {
        int length = tokens.Length;
        var embed = Matrix(model.EmbedTokens);
        var x = tokens.Select(t => Enumerable.Range(0, config.HiddenSize).Select(i => embed[t, i]).ToArray()).ToArray();
        foreach (var layer in model.Layers)
        {
            var normed = x.Select(v => RmsNorm(v, layer.InputNorm.Weight)).ToArray();
            var attended = Attention(normed, layer.Attention);
            x = x.Select((v, t) => Add(v, attended[t])).ToArray();
            var normed2 = x.Select(v => RmsNorm(v, layer.PostAttentionNorm.Weight)).ToArray();
            x = x.Select(v => v).Select((v, t) => Add(v, Mlp(normed2[t], layer.Mlp))).ToArray();
        }
        var last = RmsNorm(x[length - 1], model.Norm.Weight);
        return Linear(last, head == ModelHead.Score ? model.ScoreHead! : model.LmHead!);
    }

    private double[][] Attention(double[][] x, LlamaAttention attention)
    {
        int length = x.Length, heads = config.NumAttentionHeads, dim = config.AttentionHeadDim;
        int group = heads / config.KeyValueHeads;
        var q = x.Select(Linear(attention.Q)).ToArray();
        var k = x.Select(Linear(attention.K)).ToArray();
        var v = x.Select(Linear(attention.V)).ToArray();
        for (int t = 0; t < length; t++)
        {
            for (int h = 0; h < heads; h++) Rotate(q[t], h * dim, dim, t);
            for (int h = 0; h < config.KeyValueHeads; h++) Rotate(k[t], h * dim, dim, t);
        }

        var output = new double[length][];
        for (int t = 0; t < length; t++)
        {
            output[t] = new double[heads * dim];
            for (int h = 0; h < heads; h++)
            {
                int kv = h / group;
                var scores = new double[t + 1];
                for (int s = 0; s <= t; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < dim; i++) dot += q[t][h * dim + i] * k[s][kv * dim + i];
                    scores[s] = dot / Math.Sqrt(dim);
                }
                double max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                double total = weights.Sum();
                for (int s = 0; s <= t; s++)
                    for (int i = 0; i < dim; i++)
                        output[t][h * dim + i] += weights[s] / total * v[s][kv * dim + i];
            }
        }
        return output.Select(Linear(attention.O)).ToArray();
    }

    // Pairs (i, i + dim/2) turn by position * theta^(-2i/dim), with linear scaling dividing the angle.
    private void Rotate(double[] vector, int offset, int dim, int position)
    {
        double factor = config.RopeScaling?.Kind == "linear" ? config.RopeScaling.Factor!.Value : 1;
        for (int i = 0; i < dim / 2; i++)
        {
            double angle = position / factor * Math.Pow(config.RopeTheta, -2.0 * i / dim);
            double a = vector[offset + i], b = vector[offset + i + dim / 2];
            vector[offset + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            vector[offset + i + dim / 2] = b * Math.Cos(angle) + a * Math.Sin(angle);
        }
    }

    private double[] Mlp(double[] x, LlamaMlp mlp)
    {
        var gate = Linear(x, mlp.Gate);
        var up = Linear(x, mlp.Up);
        var product = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
        return Linear(product, mlp.Down);
    }

    private double[] RmsNorm(double[] x, Tensor weight)
    {
        var w = Vector(weight);
        double meanSquare = x.Sum(v => v * v) / x.Length;
        return x.Select((v, i) => v / Math.Sqrt(meanSquare + config.RmsNormEps) * w[i]).ToArray();
    }

    private Func<double[], double[]> Linear(LinearWeight linear) => x => Linear(x, linear);

    // W x + b, plus scale * B (A x) where the adapter has a LoRA, with a saved module's weights where it saves one.
    private double[] Linear(double[] x, LinearWeight linear)
    {
        var effective = adapter?.ReplacementFor(linear.ModulePath) ?? linear;
        var y = MatVec(Matrix(effective.Weight), x);
        if (effective.Bias is not null) y = Add(y, Vector(effective.Bias));
        if (adapter?.Module(linear.ModulePath) is { } lora)
        {
            var delta = MatVec(Matrix(lora.B), MatVec(Matrix(lora.A), x));
            y = y.Select((v, i) => v + lora.Scale * delta[i]).ToArray();
        }
        return y;
    }

    private static double[] MatVec(double[,] m, double[] x)
    {
        var y = new double[m.GetLength(0)];
        for (int o = 0; o < y.Length; o++)
            for (int i = 0; i < x.Length; i++)
                y[o] += m[o, i] * x[i];
        return y;
    }

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    private static double[] Vector(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();

    private static double[,] Matrix(Tensor t)
    {
        var flat = Vector(t.contiguous());
        int rows = (int)t.shape[0], columns = (int)t.shape[1];
        var m = new double[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                m[r, c] = flat[r * columns + c];
        return m;
    }
}
