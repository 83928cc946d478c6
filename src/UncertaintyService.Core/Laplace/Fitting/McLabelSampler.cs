namespace UncertaintyService.Core.Laplace.Fitting;

/// <summary>
/// The labels the Monte Carlo Fisher draws from the model's predictive. Each draw is a function of
/// (seed, example index) alone, so the factors do not change with the batch size, and a test can
/// recompute any example's label.
/// </summary>
public static class McLabelSampler
{
    /// <summary>Inverse-CDF draw of one class from <paramref name="probabilities"/> (summing to one up to rounding).</summary>
    public static int Sample(ReadOnlySpan<double> probabilities, ulong seed, long exampleIndex)
    {
        double u = Uniform(seed, exampleIndex);
        double cumulative = 0;
        int lastWithMass = -1;
        for (int c = 0; c < probabilities.Length; c++)
        {
            if (!(probabilities[c] > 0)) continue;
            lastWithMass = c;
            cumulative += probabilities[c];
            if (u < cumulative) return c;
        }
        // Rounding can leave the cumulative sum just below u: that draw belongs to the last class with mass.
        return lastWithMass >= 0 ? lastWithMass : throw new ArgumentException("No class has positive probability.", nameof(probabilities));
    }

    /// <summary>
    /// A uniform double in [0, 1): the (index + 1)-th output of SplitMix64 seeded with
    /// <paramref name="seed"/>, a counter-based generator, so no state is carried between examples.
    /// </summary>
    public static double Uniform(ulong seed, long exampleIndex)
    {
        unchecked
        {
            ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(exampleIndex + 1);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
