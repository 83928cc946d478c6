using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>
/// Dropout on the input of every LoRA module (PEFT's <c>lora_dropout</c>), kept on at prediction time
/// for MC dropout. Each batch row has its own probability (0 for rows of other methods sharing the
/// forward) and draws its masks from its own generator, only over its real tokens, so a row's masks do
/// not depend on what else shares the batch or on how much padding there is. Masks are drawn on the
/// activations' device (a generator per row there), never copied from the host.
/// </summary>
public sealed class LoraInputDropout
{
    private readonly double[] probabilities;
    private readonly Generator?[] generators;
    private readonly long[] offsets;
    private readonly long[] lengths;

    /// <param name="probability">p: the probability that an input element is zeroed (survivors are scaled by 1/(1-p)).</param>
    /// <param name="rowSeeds">One seed per batch row.</param>
    /// <param name="offsets">Each row's first real position (0 with right padding).</param>
    /// <param name="lengths">Each row's number of real tokens.</param>
    /// <param name="device">Where the activations live and the masks are drawn.</param>
    public LoraInputDropout(double probability, IReadOnlyList<ulong> rowSeeds, IReadOnlyList<long> offsets, IReadOnlyList<long> lengths, Device device)
        : this(rowSeeds.Select(_ => probability).ToList(), rowSeeds, offsets, lengths, device)
    {
    }

    /// <param name="probabilities">Per row p; a row with 0 is passed through unchanged.</param>
    public LoraInputDropout(IReadOnlyList<double> probabilities, IReadOnlyList<ulong> rowSeeds, IReadOnlyList<long> offsets, IReadOnlyList<long> lengths,
        Device device)
    {
        foreach (double p in probabilities)
            if (!(p is >= 0 and < 1))
                throw new ArgumentOutOfRangeException(nameof(probabilities), p, "The dropout probability must be in [0, 1).");
        if (rowSeeds.Count != probabilities.Count || rowSeeds.Count != offsets.Count || rowSeeds.Count != lengths.Count)
            throw new ArgumentException("Need one probability, seed, offset and length per row.");
        this.probabilities = probabilities.ToArray();
        generators = rowSeeds.Select((s, row) => probabilities[row] > 0 ? new Generator(s, device) : null).ToArray();
        this.offsets = offsets.ToArray();
        this.lengths = lengths.ToArray();
    }

    private LoraInputDropout(double[] probabilities, Generator?[] generators, long[] offsets, long[] lengths)
    {
        this.probabilities = probabilities;
        this.generators = generators;
        this.offsets = offsets;
        this.lengths = lengths;
    }

    /// <summary>Whether any row drops anything.</summary>
    public bool Active => probabilities.Any(p => p > 0);

    /// <summary>
    /// The given rows, in that order, continuing their own generators: the head of a forward pass whose
    /// rows read different heads sees each group of rows separately.
    /// </summary>
    public LoraInputDropout Select(IReadOnlyList<int> rows) =>
        new(rows.Select(r => probabilities[r]).ToArray(), rows.Select(r => generators[r]).ToArray(),
            rows.Select(r => offsets[r]).ToArray(), rows.Select(r => lengths[r]).ToArray());

    /// <summary>x (R, T, in) at every position, or (R, in) at the last token only (a LoRA on the head).</summary>
    /// <param name="adapted">Per row, whether this module is one of the row's own (null: all rows'); the others draw nothing here.</param>
    public Tensor Apply(Tensor x, bool[]? adapted = null)
    {
        if (!Active) return x;
        using var scope = NewDisposeScope();
        long features = x.shape[^1];
        // Keep decisions in float32 (float64 for a float64 model); the mask is then applied in x's dtype.
        var drawType = x.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var mask = x.dim() == 3 ? ones(x.shape, x.dtype, x.device) : ones(x.shape[0], 1, features, x.dtype, x.device);
        for (int row = 0; row < generators.Length; row++)
        {
            if (generators[row] is not { } generator || adapted?[row] == false) continue;
            long positions = x.dim() == 3 ? lengths[row] : 1;
            long start = x.dim() == 3 ? offsets[row] : 0;
            var keep = rand(new[] { positions, features }, drawType, x.device, generator: generator).ge(probabilities[row]);
            mask[row].narrow(0, start, positions).copy_(keep.to(x.dtype) / (1 - probabilities[row]));
        }
        if (x.dim() == 2) mask = mask.squeeze(1);
        return (x * mask).MoveToOuterDisposeScope();
    }
}
