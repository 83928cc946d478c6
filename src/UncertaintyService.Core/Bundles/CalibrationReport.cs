using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Bundles;

/// <summary>
/// An adapter's <c>calibration.json</c>, written by the CLI's <c>evaluate</c>: metrics per data split
/// and method, with reliability bins, and the hash of the data they were measured on.
/// </summary>
public sealed record CalibrationReport
{
    public const string FileName = "calibration.json";

    /// <summary>split name (validation, test, ood, ...) -> method (map, laplace, ...) -> metrics.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, CalibrationMetrics>> Splits { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, CalibrationMetrics>>();

    /// <summary>Which class the methods answered with: predictive (their own argmax; also when absent) or map (the MAP logits' argmax).</summary>
    public string? Prediction { get; init; }

    public string? Task { get; init; }
    public string? DataSha256 { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public int? EceBins { get; init; }

    public static CalibrationReport Load(string path) => StrictJson.Load<CalibrationReport>(path);

    public void Save(string path) => StrictJson.Save(path, this);

    /// <summary>The same report without reliability bins, for every classification response.</summary>
    public CalibrationReport Summary() => this with
    {
        Splits = Splits.ToDictionary(s => s.Key,
            s => (IReadOnlyDictionary<string, CalibrationMetrics>)s.Value.ToDictionary(m => m.Key, m => m.Value with { Bins = null })),
    };
}

/// <summary>Accuracy, expected calibration error (equal-width bins over top-class confidence), NLL and Brier score.</summary>
public sealed record CalibrationMetrics
{
    public double Acc { get; init; }
    public double Ece { get; init; }
    public double Nll { get; init; }
    public double Brier { get; init; }
    public int N { get; init; }
    public IReadOnlyList<ReliabilityBin>? Bins { get; init; }

    /// <summary>For preference probabilities: how close they come to the human vote fractions.</summary>
    public HumanVoteAgreement? HumanVotes { get; init; }
}

/// <summary>
/// Predicted preference probabilities p against the fraction q of human judgements preferring the
/// chosen response: mean |p - q|, mean (p - q)^2, Pearson correlation, and the cross-entropy
/// mean -(q log p + (1 - q) log(1 - p)), whose floor is the votes' own entropy.
/// </summary>
public sealed record HumanVoteAgreement(double Mae, double Brier, double Correlation, double CrossEntropy, double VoteEntropy);

/// <summary>One bin of a reliability diagram.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double Confidence, double Accuracy);
