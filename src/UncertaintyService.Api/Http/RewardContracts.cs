using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Http;

/// <summary>Score (prompt, response) items, or compare (prompt, chosen, rejected) pairs, with a reward adapter.</summary>
public sealed record RewardRequest
{
    /// <summary>Reward adapter id (kind "reward" in GET /v1/adapters).</summary>
    /// <example>vader-reward</example>
    public string? Adapter { get; init; }

    /// <summary>Texts to score, each a prompt and a response. Give either items or pairs.</summary>
    public IReadOnlyList<RewardItemInput?>? Items { get; init; }

    /// <summary>Pairs to compare: a prompt with a chosen and a rejected response. Give either items or pairs.</summary>
    public IReadOnlyList<RewardPairInput?>? Pairs { get; init; }

    /// <summary>Posterior method: map, laplace, blob, swag, ensemble, svgd or mc_dropout, as the adapter lists them. Default: the adapter's posterior.json.</summary>
    /// <example>laplace</example>
    public string? Method { get; init; }

    /// <summary>
    /// laplace: Monte Carlo draws of each pair's joint reward Gaussian (up to Limits.MaxSamples); a sampled method: weight samples,
    /// each a forward pass of both texts (up to Limits.MaxWeightSamples; an ensemble gives at most its members). Default: posterior.json.
    /// </summary>
    /// <example>1000</example>
    public int? Samples { get; init; }

    /// <summary>Seed of the draws (of the Gaussian, or of the weights); pair or item i uses seed + i. Default: drawn at random and reported.</summary>
    /// <example>42</example>
    public ulong? Seed { get; init; }

    /// <summary>
    /// How laplace's p_chosen_preferred is computed from the joint Gaussian: mc (Monte Carlo mean of sigmoid(r_c - r_r)) or probit
    /// (closed form). A sampled method's is always the mean of sigmoid(r_c - r_r) over its weight samples.
    /// </summary>
    /// <example>mc</example>
    public string? Approximation { get; init; }

    /// <summary>
    /// The score returned beside each reward's mean and variance: mean (default), lower_bound (mean - beta std) or
    /// uncertainty_weighted (mean - lambda variance).
    /// </summary>
    /// <example>lower_bound</example>
    public string? Risk { get; init; }

    /// <summary>beta of lower_bound or lambda of uncertainty_weighted (default 1).</summary>
    /// <example>1.0</example>
    public double? RiskCoefficient { get; init; }
}

/// <summary>One text to score.</summary>
public sealed record RewardItemInput
{
    /// <example>Which word is more positive?</example>
    public string? Prompt { get; init; }

    /// <example>wonderful</example>
    public string? Response { get; init; }
}

/// <summary>One comparison: the response the caller calls chosen against the rejected one.</summary>
public sealed record RewardPairInput
{
    /// <example>Which word is more positive?</example>
    public string? Prompt { get; init; }

    /// <example>wonderful</example>
    public string? Chosen { get; init; }

    /// <example>dreadful</example>
    public string? Rejected { get; init; }
}

public sealed record RewardResponse(IReadOnlyList<RewardItemResult>? Items, IReadOnlyList<RewardPairResult>? Pairs, RewardMetadata Metadata,
    CalibrationReport? Calibration);

/// <param name="RewardMean">The reward at theta_MAP (the posterior mean of the linearised reward).</param>
/// <param name="RewardVariance">Its posterior variance (0 for map).</param>
/// <param name="Score">The reward under the request's risk setting (the mean unless risk says otherwise).</param>
public sealed record RewardItemResult(double RewardMean, double RewardVariance, double Score);

/// <summary>One pair's joint reward Gaussian and its preference probabilities.</summary>
/// <param name="PChosenPreferred">Bradley-Terry predictive E[sigmoid(r_c - r_r)] over the joint Gaussian (Monte Carlo or probit, per approximation).</param>
/// <param name="PChosenPreferredStd">Standard deviation of sigmoid(r_c - r_r) over the Monte Carlo draws.</param>
/// <param name="PChosenPreferredProbit">sigmoid(m / sqrt(1 + pi/8 s^2)), m and s^2 the mean and variance of r_c - r_r.</param>
/// <param name="PRewardHigher">Phi(m / s) = P(r_c &gt; r_r): how sure the posterior is of the rewards' order (no Bradley-Terry noise).</param>
/// <param name="PMap">sigmoid(mu_c - mu_r): the MAP Bradley-Terry probability.</param>
public sealed record RewardPairResult(
    double ChosenRewardMean, double ChosenRewardVariance, double RejectedRewardMean, double RejectedRewardVariance, double RewardCovariance,
    double DifferenceMean, double DifferenceVariance,
    double PChosenPreferred, double? PChosenPreferredStd, double PChosenPreferredProbit, double PRewardHigher, double PMap,
    double ChosenScore, double RejectedScore, string? PredictionId = null);

/// <param name="Samples">laplace: Monte Carlo draws per pair (0: closed forms only); a sampled method: weight samples; 0 for map.</param>
/// <param name="Seed">Seed of pair 0; pair i used seed + i.</param>
/// <param name="BatchTexts">Texts in the forward pass this request shared (a pair counts two).</param>
/// <param name="Risk">How score was computed: mean, lower_bound or uncertainty_weighted.</param>
/// <param name="RiskCoefficient">Its beta or lambda (0 for mean).</param>
public sealed record RewardMetadata(string Adapter, string AdapterSha256, string Bundle, string Method, double? PriorPrecision, int Samples, ulong Seed,
    string Approximation, int BatchTexts, IReadOnlyDictionary<string, double> TimingsMs, string Risk, double RiskCoefficient);

/// <summary>OpenRLHF's remote reward model request: each query is prompt and response already joined.</summary>
public sealed record OpenRlhfRewardRequest
{
    /// <summary>Texts to score (prompt + response, as OpenRLHF sends them).</summary>
    /// <example>["Which word is more positive? wonderful"]</example>
    public IReadOnlyList<string?>? Query { get; init; }

    /// <summary>Sent by newer OpenRLHF clients; accepted and ignored (the query holds the prompt already).</summary>
    public IReadOnlyList<string?>? Prompts { get; init; }

    /// <summary>Sent by newer OpenRLHF clients; accepted and ignored.</summary>
    public IReadOnlyList<string?>? Labels { get; init; }
}

/// <param name="Rewards">The score per query under the route's risk setting (the reward mean by default), as OpenRLHF reads it.</param>
/// <param name="Scores">The same numbers under the name newer OpenRLHF clients read.</param>
/// <param name="RewardVariances">Posterior variance per query (0 for map).</param>
/// <param name="ExtraLogs">Per query lists OpenRLHF logs to its dashboards unchanged: reward_mean, reward_variance, reward_std.</param>
public sealed record OpenRlhfRewardResponse(double[] Rewards, double[] Scores, double[] RewardVariances, IReadOnlyDictionary<string, double[]> ExtraLogs);
