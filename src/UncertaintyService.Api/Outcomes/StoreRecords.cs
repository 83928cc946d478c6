namespace UncertaintyService.Api.Outcomes;

/// <summary>What a prediction's outcome can be: a class of the adapter, or which of a pair's two responses people preferred.</summary>
public enum PredictionKind
{
    Classification = 0,
    Preference = 1,
}

/// <summary>
/// One answered prediction as stored: the probabilities the service returned over <see cref="Labels"/>
/// (for a preference pair: [P(first preferred), P(second preferred)] over ["chosen", "rejected"]), the
/// index it answered with, and the prompt only when the operator stores prompts.
/// </summary>
public sealed record StoredPrediction(
    string Id,
    long CreatedAtMs,
    string Adapter,
    string AdapterSha256,
    string Method,
    PredictionKind Kind,
    IReadOnlyList<string> Labels,
    double[] Probabilities,
    int Predicted,
    string? Prompt);

/// <summary>
/// The truth an application reported for a prediction: a label index, and for a pair the fraction of people
/// who preferred the first response when votes were given (the label is then the majority's).
/// </summary>
public sealed record StoredOutcome(string PredictionId, long CreatedAtMs, int Label, double? VoteFraction);

/// <summary>A stored prediction as an outcome request needs it: what may be said about it, and whether it already has its outcome.</summary>
public sealed record PredictionForOutcome(string Id, string Adapter, string Method, PredictionKind Kind, IReadOnlyList<string> Labels, bool HasOutcome);

/// <summary>One prediction with its outcome, as live calibration reads them.</summary>
public sealed record ScoredPrediction(double[] Probabilities, int Predicted, int Label, double? VoteFraction, long OutcomeAtMs);
