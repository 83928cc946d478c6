namespace UncertaintyService.Core.Laplace;

/// <summary>
/// Maximises a function of a positive scale over [min, max] in log space: a coarse grid finds the
/// basin, golden-section search refines it between the best grid point's neighbours.
/// </summary>
internal static class LogScaleSearch
{
    public const int CoarseGridPoints = 41;

    // In log lambda: a relative precision of 1e-9 on lambda, far below what any use of it can tell apart.
    private const double Tolerance = 1e-9;

    private static readonly double InverseGoldenRatio = (Math.Sqrt(5) - 1) / 2;

    /// <summary>The argmax and the maximum of <paramref name="objective"/>; NaN counts as minus infinity.</summary>
    public static (double Scale, double Value) Maximise(Func<double, double> objective, double min, double max)
    {
        if (!(min > 0) || !double.IsFinite(max) || !(max > min))
            throw new ArgumentOutOfRangeException(nameof(min), $"The search range [{min}, {max}] must be positive, finite and non-empty.");
        double F(double logScale)
        {
            double value = objective(Math.Exp(logScale));
            return double.IsNaN(value) ? double.NegativeInfinity : value;
        }

        double lo = Math.Log(min), hi = Math.Log(max), step = (hi - lo) / (CoarseGridPoints - 1);
        var grid = Enumerable.Range(0, CoarseGridPoints).Select(i => i == CoarseGridPoints - 1 ? hi : lo + i * step).ToArray();
        var values = grid.Select(F).ToArray();
        int best = Array.IndexOf(values, values.Max());

        // Golden-section keeps the bracket's interior point with the higher value; a concave objective
        // (the log evidence in log lambda is one) has its maximum inside the best point's neighbours.
        double left = grid[Math.Max(best - 1, 0)], right = grid[Math.Min(best + 1, CoarseGridPoints - 1)];
        double c = right - InverseGoldenRatio * (right - left), d = left + InverseGoldenRatio * (right - left);
        double fc = F(c), fd = F(d);
        while (right - left > Tolerance)
        {
            if (fc >= fd)
            {
                right = d;
                (d, fd) = (c, fc);
                c = right - InverseGoldenRatio * (right - left);
                fc = F(c);
            }
            else
            {
                left = c;
                (c, fc) = (d, fd);
                d = left + InverseGoldenRatio * (right - left);
                fd = F(d);
            }
        }

        // Never worse than the grid: at a boundary maximum the bracket's interior cannot reach the end point.
        var (refined, refinedValue) = fc >= fd ? (c, fc) : (d, fd);
        return refinedValue >= values[best] ? (Math.Exp(refined), refinedValue) : (Math.Exp(grid[best]), values[best]);
    }
}
