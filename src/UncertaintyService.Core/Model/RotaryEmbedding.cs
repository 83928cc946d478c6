using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>
/// Rotary position embeddings in the Hugging Face layout (the two halves of each head rotate together),
/// with <c>rope_theta</c> and the supported <c>rope_scaling</c> kinds.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly Tensor inverseFrequencies; // (head_dim / 2), float64 on the model's device

    public RotaryEmbedding(LlamaConfig config, Device device)
    {
        inverseFrequencies = tensor(InverseFrequencies(config), ScalarType.Float64, device);
    }

    /// <summary>The frequencies tensor this embedding allocated (its owner, the model, frees it).</summary>
    internal Tensor Frequencies => inverseFrequencies;

    /// <summary>The per-pair rotation frequencies after scaling; public so tests can check them.</summary>
    public static double[] InverseFrequencies(LlamaConfig config)
    {
        int dim = config.AttentionHeadDim;
        var frequencies = new double[dim / 2];
        for (int i = 0; i < frequencies.Length; i++)
            frequencies[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / dim);

        var scaling = config.RopeScaling;
        switch (scaling?.Kind)
        {
            case null or "default":
                break;
            case "linear":
                for (int i = 0; i < frequencies.Length; i++) frequencies[i] /= scaling.Factor!.Value;
                break;
            case "llama3":
                ScaleLlama3(frequencies, scaling);
                break;
        }
        return frequencies;
    }

    // Llama 3.1: long wavelengths are slowed by the factor, short ones kept, the band between blended.
    private static void ScaleLlama3(double[] frequencies, RopeScaling scaling)
    {
        double factor = scaling.Factor!.Value, low = scaling.LowFreqFactor!.Value, high = scaling.HighFreqFactor!.Value;
        double context = scaling.OriginalMaxPositionEmbeddings!.Value;
        double lowWavelength = context / low, highWavelength = context / high;
        for (int i = 0; i < frequencies.Length; i++)
        {
            double wavelength = 2 * Math.PI / frequencies[i];
            if (wavelength > lowWavelength)
                frequencies[i] /= factor;
            else if (wavelength >= highWavelength)
            {
                double smooth = (context / wavelength - low) / (high - low);
                frequencies[i] = (1 - smooth) * frequencies[i] / factor + smooth * frequencies[i];
            }
        }
    }

    /// <summary>cos and sin of shape (B, 1, T, head_dim) for the given positions (B, T).</summary>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positions, ScalarType dtype)
    {
        var angles = positions.to(ScalarType.Float64).unsqueeze(-1) * inverseFrequencies; // (B, T, dim/2)
        var doubled = cat(new[] { angles, angles }, -1).unsqueeze(1);
        return (doubled.cos().to(dtype), doubled.sin().to(dtype));
    }

    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope(); // four temporaries the size of x
        long half = x.shape[^1] / 2;
        var first = x.narrow(-1, 0, half);
        var second = x.narrow(-1, half, half);
        var rotated = cat(new[] { second.neg(), first }, -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
