using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Http;

/// <summary>Classify one or more prompts with an adapter and return the predictive over its labels.</summary>
public sealed record ClassifyRequest : IPromptRequest
{
    /// <summary>Adapter id, as listed by GET /v1/adapters.</summary>
    /// <example>spam</example>
    public string? Adapter { get; init; }

    /// <summary>Raw prompt texts. Give either prompts or inputs.</summary>
    /// <example>["E-mail:\nYou have won a FREE cruise, click now!\nIs this e-mail spam? Answer:"]</example>
    public IReadOnlyList<string>? Prompts { get; init; }

    /// <summary>Field values for the adapter's prompt template, one object per prompt. Give either prompts or inputs.</summary>
    public IReadOnlyList<Dictionary<string, string>>? Inputs { get; init; }

    /// <summary>Label token texts to score instead of the adapter's labels; each must be one token.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Posterior method: map, laplace, blob, swag, ensemble, svgd or mc_dropout, as the adapter lists them. Default: the adapter's posterior.json.</summary>
    /// <example>laplace</example>
    public string? Method { get; init; }

    /// <summary>
    /// Samples per prompt. Laplace: Monte Carlo draws of the logit Gaussian (1..Limits.MaxSamples). Sampled methods:
    /// weight samples, each a forward pass (0..Limits.MaxWeightSamples; 0 = the mean weights alone; an ensemble gives at most its K members).
    /// Default: posterior.json.
    /// </summary>
    /// <example>1000</example>
    public int? Samples { get; init; }

    /// <summary>Seed of the Monte Carlo draws; prompt i uses seed + i. Default: drawn at random and reported.</summary>
    /// <example>42</example>
    public ulong? Seed { get; init; }

    /// <summary>full (C x C matrix), diag (variances only) or none.</summary>
    /// <example>full</example>
    public string? Covariance { get; init; }

    /// <summary>Which probabilities give prediction and confidence: mc (sampled mean) or probit.</summary>
    /// <example>mc</example>
    public string? Approximation { get; init; }

    /// <summary>
    /// Which label is the prediction: predictive (the argmax of the probabilities approximation chose; default) or map (the argmax of
    /// the logit mean, so the answer keeps MAP's accuracy while confidence still comes from the predictive).
    /// </summary>
    /// <example>predictive</example>
    public string? Prediction { get; init; }

    /// <summary>Abstain (abstain: true) when the confidence is below this (0..1). Give at most one of min_confidence and target_accuracy.</summary>
    public double? MinConfidence { get; init; }

    /// <summary>
    /// Abstain below the confidence threshold that reached this accuracy on the answered part of the adapter's test split for the method
    /// (its calibration.json reliability bins); the threshold, coverage and accuracy there are reported in metadata.
    /// </summary>
    public double? TargetAccuracy { get; init; }
}

public sealed record ClassifyResponse(IReadOnlyList<ClassifyResult> Results, ClassifyMetadata Metadata, CalibrationReport? Calibration);

/// <summary>One prompt's answer.</summary>
/// <param name="Labels">The classes, in the order of every vector here.</param>
/// <param name="LogitMean">Mean of the class logits (the MAP logits).</param>
/// <param name="LogitCovariance">C x C covariance of the class logits (covariance = full).</param>
/// <param name="LogitVariance">Its diagonal (covariance = full or diag).</param>
/// <param name="Probabilities">MAP, Monte Carlo and probit probabilities.</param>
/// <param name="Prediction">The most probable label.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Uncertainty">Entropy split in nats.</param>
/// <param name="Abstain">With min_confidence or target_accuracy: true when the confidence is below the threshold.</param>
/// <param name="PredictionId">Id to report this prompt's true label with (POST /v1/outcomes); absent when the outcome store is off.</param>
public sealed record ClassifyResult(
    IReadOnlyList<string> Labels,
    double[] LogitMean,
    double[][]? LogitCovariance,
    double[]? LogitVariance,
    ProbabilitySet Probabilities,
    string Prediction,
    double Confidence,
    UncertaintySplit Uncertainty,
    bool? Abstain = null,
    string? PredictionId = null);

/// <param name="Map">softmax of the logit mean.</param>
/// <param name="SampledMean">Mean of the softmax over Monte Carlo draws of the logits.</param>
/// <param name="SampledStd">Standard deviation of those sampled probabilities.</param>
/// <param name="Probit">softmax(mean / sqrt(1 + pi/8 * variance)).</param>
public sealed record ProbabilitySet(double[] Map, double[] SampledMean, double[] SampledStd, double[] Probit);

/// <param name="TotalEntropy">Entropy of the mean sampled probabilities.</param>
/// <param name="Aleatoric">Mean entropy of the per-sample probabilities.</param>
/// <param name="Epistemic">Mutual information: total minus aleatoric.</param>
public sealed record UncertaintySplit(double TotalEntropy, double Aleatoric, double Epistemic);

/// <param name="Adapter">Adapter id.</param>
/// <param name="AdapterSha256">sha256 of the adapter folder's files: which version answered.</param>
/// <param name="Bundle">Bundle whose base model was used.</param>
/// <param name="Method">Posterior method used.</param>
/// <param name="PriorPrecision">lambda of the Laplace posterior (null for map).</param>
/// <param name="Samples">Samples per prompt: logit draws (laplace) or weight samples, each a forward pass (sampled methods); 0 for map.</param>
/// <param name="Seed">Seed of prompt 0; prompt i used seed + i.</param>
/// <param name="BatchPrompts">Prompts in the forward pass this request shared.</param>
/// <param name="TimingsMs">Milliseconds: queue, forward, gradients, covariance, sampling, total.</param>
public sealed record ClassifyMetadata(
    string Adapter,
    string AdapterSha256,
    string Bundle,
    string Method,
    double? PriorPrecision,
    int Samples,
    ulong Seed,
    int BatchPrompts,
    IReadOnlyDictionary<string, double> TimingsMs,
    Abstention? Abstention = null);

/// <summary>How abstain was decided: the rule, the confidence threshold, and for target_accuracy what it reached on the test split.</summary>
/// <param name="Rule">min_confidence or target_accuracy.</param>
/// <param name="Threshold">Results with confidence below it abstain.</param>
/// <param name="TestCoverage">target_accuracy: the share of the test split answered at this threshold.</param>
/// <param name="TestAccuracy">target_accuracy: the accuracy of that answered share.</param>
public sealed record Abstention(string Rule, double Threshold, double? TestCoverage, double? TestAccuracy);

/// <summary>
/// How a classify request wants its answers shaped: covariance, which probabilities decide, which class, and abstention;
/// and the prompts' texts, which a prediction is stored with when the operator stores prompts.
/// </summary>
public sealed record AnswerShape(Serving.CovarianceMode Covariance, string Approximation, string Prediction, Abstention? Abstention,
    IReadOnlyList<string> PromptTexts);
