namespace UncertaintyService.Core.Laplace;

/// <summary>How <see cref="KfacFitter"/> forms the factors.</summary>
/// <param name="Fisher">Which curvature: the exact GGN over all classes, one sampled label, or the true label.</param>
/// <param name="Positions">How a prompt's token positions enter the two factors.</param>
/// <param name="LowRank">
/// k, the columns kept of the large side's square root (input factor of lora_A, output factor of
/// lora_B) by incremental SVD; null keeps every factor square. A side of size at most k stays square,
/// because an n x n root would read as the factor itself.
/// </param>
/// <param name="BatchSize">Prompts per forward pass.</param>
/// <param name="Seed">Seeds the labels the Monte Carlo Fisher samples; an example's draw depends only on it and the example's index.</param>
public sealed record KfacFitOptions(FisherKind Fisher, PositionHandling Positions, int? LowRank = null, int BatchSize = 8, ulong Seed = 0);

/// <summary>What <see cref="KfacFitter.Fit"/> produced.</summary>
/// <param name="Factors">The factors, float64 on the CPU, as written to the output file.</param>
/// <param name="LogLikelihood">sum over the examples of log p(true label), the class softmax at theta_MAP: the evidence's data term.</param>
/// <param name="Examples">N, the number of examples the factors average over.</param>
public sealed record KfacFitResult(KfacFactorFile Factors, double LogLikelihood, int Examples);
