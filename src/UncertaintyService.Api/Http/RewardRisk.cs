namespace UncertaintyService.Api.Http;

/// <summary>
/// The score a trainer optimises, from a reward's posterior mean m and variance v: <c>mean</c> (m),
/// <c>lower_bound</c> (m - beta sqrt(v), a conservative score as in LCB-style reward ensembles) or
/// <c>uncertainty_weighted</c> (m - lambda v, Coste et al. 2024's uncertainty-weighted optimisation);
/// the coefficient is beta or lambda (default 1).
/// </summary>
public sealed record RewardRisk(string Kind, double Coefficient)
{
    public static readonly string[] Kinds = ["mean", "lower_bound", "uncertainty_weighted"];

    public static readonly RewardRisk Mean = new("mean", 0);

    public double Score(double mean, double variance) => Kind switch
    {
        "lower_bound" => mean - Coefficient * Math.Sqrt(Math.Max(variance, 0)),
        "uncertainty_weighted" => mean - Coefficient * variance,
        _ => mean,
    };

    /// <summary>The risk a request asked for; problems go to <paramref name="errors"/> under <paramref name="field"/>.</summary>
    public static RewardRisk Read(string? kind, double? coefficient, FieldErrors errors, string field = "risk")
    {
        kind ??= "mean";
        if (!Kinds.Contains(kind))
        {
            errors.Add(field, $"'{kind}' is not one of {string.Join(", ", Kinds)}");
            return Mean;
        }
        if (coefficient is { } c && (!double.IsFinite(c) || c < 0))
            errors.Add($"{field}_coefficient", $"{c} must be a finite number of at least 0");
        if (kind == "mean" && coefficient is not null)
            errors.Add($"{field}_coefficient", "applies to lower_bound and uncertainty_weighted only");
        return kind == "mean" ? Mean : new RewardRisk(kind, coefficient ?? 1.0);
    }
}
