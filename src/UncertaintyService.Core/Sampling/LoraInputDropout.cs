using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>
/// Dropout on the input of every LoRA module (PEFT's <c>lora_dropout</c>), kept on at prediction time
/// for MC dropout. Each batch row draws its masks from its own generator, only over its real tokens,
/// so a row's masks do not depend on what else shares the batch or on how much padding there is.
/// Masks are drawn on the activations' device (a generator per row there), never copied from the host.
/// </summary>
public sealed class LoraInputDropout
{
    private readonly Generator[] generators;
    private readonly long[] offsets;
    private readonly long[] lengths;

    /// <param name="probability">p: the probability that an input element is zeroed (survivors are scaled by 1/(1-p)).</param>
    /// <param name="rowSeeds">One seed per batch row.</param>
    /// <param name="offsets">Each row's first real position (0 with right padding).</param>
    /// <param name="lengths">Each row's number of real tokens.</param>
    /// <param name="device">Where the activations live and the masks are drawn.</param>
    public LoraInputDropout(double probability, IReadOnlyList<ulong> rowSeeds, IReadOnlyList<long> offsets, IReadOnlyList<long> lengths, Device device)
    {
        if (!(probability is >= 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The dropout probability must be in [0, 1).");
        if (rowSeeds.Count != offsets.Count || rowSeeds.Count != lengths.Count)
            throw new ArgumentException("Need one seed, offset and length per row.");
        Probability = probability;
        generators = rowSeeds.Select(s => new Generator(s, device)).ToArray();
        this.offsets = offsets.ToArray();
        this.lengths = lengths.ToArray();
    }

    public double Probability { get; }

    /// <summary>x (R, T, in) at every position, or (R, in) at the last token only (a LoRA on the head).</summary>
    public Tensor Apply(Tensor x)
    {
        if (Probability == 0) return x;
        using var scope = NewDisposeScope();
        long features = x.shape[^1];
        // Keep decisions in float32 (float64 for a float64 model); the mask is then applied in x's dtype.
        var drawType = x.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var mask = x.dim() == 3 ? ones(x.shape, x.dtype, x.device) : ones(x.shape[0], 1, features, x.dtype, x.device);
        for (int row = 0; row < generators.Length; row++)
        {
            long positions = x.dim() == 3 ? lengths[row] : 1;
            long start = x.dim() == 3 ? offsets[row] : 0;
            var keep = rand(new[] { positions, features }, drawType, x.device, generator: generators[row]).ge(Probability);
            mask[row].narrow(0, start, positions).copy_(keep.to(x.dtype) / (1 - Probability));
        }
        if (x.dim() == 2) mask = mask.squeeze(1);
        return (x * mask).MoveToOuterDisposeScope();
    }
}
