using TorchSharp;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// The Laplace posterior N(theta_MAP, Sigma) over an adapter's LoRA weights, block-diagonal over LoRA
/// matrices with Sigma_m = (N (L_m kron S_m) + lambda I)^-1 in the row-major vectorisation of Theta_m
/// (Theta = A^T or B, large side L first). The names follow the Python <c>bayesian-lora</c> library:
/// <see cref="JacobianMean"/>, <see cref="Variance"/>, <see cref="ModelEvidence"/>.
/// </summary>
public sealed class LaplaceLoraPosterior : ITensorOwner, ILinearisedMethod
{
    private readonly IReadOnlyList<KfacBlock> blocks;

    // The eigenbases (shared ones once) when this instance owns them; empty for a view made by WithPriorPrecision.
    private readonly IReadOnlyList<FactorEigenbasis> ownedBases;

    private LaplaceLoraPosterior(LlamaModel model, LoraAdapter adapter, KfacMetadata metadata, IReadOnlyList<KfacBlock> blocks, double priorPrecision,
        IReadOnlyList<FactorEigenbasis> ownedBases)
    {
        Model = model;
        Adapter = adapter;
        Metadata = metadata;
        this.blocks = blocks;
        PriorPrecision = priorPrecision;
        this.ownedBases = ownedBases;
    }

    public LlamaModel Model { get; }
    public LoraAdapter Adapter { get; }
    public KfacMetadata Metadata { get; }

    /// <summary>lambda, the prior precision (1 / prior variance).</summary>
    public double PriorPrecision { get; }

    public long NExamples => Metadata.NExamples;

    public const string MethodName = "laplace";

    string IPredictiveMethod.Name => MethodName;

    double? IPredictiveMethod.PriorPrecision => PriorPrecision;

    LaplaceLoraPosterior ILinearisedMethod.Posterior => this;

    SampleMeaning IPredictiveMethod.Samples => SampleMeaning.GaussianDraws;

    /// <summary>One forward and C backward passes, each measured at about two forwards (1.8-1.9 on the demo model at 1,000 tokens).</summary>
    public long PassesPerText(int outputs, int samples) => 1 + 2L * outputs;

    /// <summary>Any number of logit draws is meaningful (0: the probit closed forms alone).</summary>
    public string? SamplesError(int samples) => null;

    /// <summary>
    /// Eigendecomposes every factor (in float64, on the model's device; one stored factor at a time,
    /// each freed after use when the source is a file) and checks that the factors cover exactly the
    /// adapter's LoRA matrices with matching sizes. Eigenvectors are kept in float32 unless the model
    /// is float64: the reference tests bound what that costs (README: K-FAC at real dimensions).
    /// </summary>
    /// <param name="eigenvectorType">Overrides the eigenvectors' dtype (tests compare float32 with float64 on one model).</param>
    public static LaplaceLoraPosterior Create(LlamaModel model, LoraAdapter adapter, IKfacFactorSource factors, double priorPrecision,
        ScalarType? eigenvectorType = null)
    {
        if (!(priorPrecision > 0) || double.IsInfinity(priorPrecision))
            throw new ArgumentOutOfRangeException(nameof(priorPrecision), priorPrecision, "The prior precision must be positive and finite.");

        var loader = new FactorLoader(factors, model.Device,
            eigenvectorType ?? (model.DType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32));
        try
        {
            var blocks = new List<KfacBlock>();
            var expected = new HashSet<string>();
            foreach (var module in adapter.Modules)
            {
                foreach (var side in new[] { LoraSide.A, LoraSide.B })
                {
                    string name = side == LoraSide.A ? module.NameA : module.NameB;
                    expected.Add(name);
                    if (!factors.ModuleNames.Contains(name))
                        throw new BundleFormatException(factors.FilePath, name, "missing: the adapter has this LoRA matrix but the file has no factors for it");
                    blocks.Add(KfacBlock.Create(loader, name, module, side));
                }
            }
            // Modules the adapter saves whole (a reward model's score head) are trained too, so the posterior covers them.
            foreach (var saved in adapter.SavedModules)
            {
                string name = KfacFactorFile.SavedModuleName(saved.ModulePath);
                expected.Add(name);
                if (!factors.ModuleNames.Contains(name))
                    throw new BundleFormatException(factors.FilePath, name, "missing: the adapter saves this module whole but the file has no factors for it");
                blocks.Add(KfacBlock.Create(loader, name, saved));
            }
            var extra = factors.ModuleNames.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault();
            if (extra is not null)
                throw new BundleFormatException(factors.FilePath, extra, "factors for a matrix the adapter does not have");
            return new LaplaceLoraPosterior(model, adapter, factors.Metadata, blocks, priorPrecision, loader.All.ToList());
        }
        catch
        {
            // A failed load frees what it decomposed.
            foreach (var basis in loader.All) basis.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The same factors under another prior precision: a view sharing this posterior's eigenbases, valid
    /// while this posterior is; disposing the view frees nothing.
    /// </summary>
    public LaplaceLoraPosterior WithPriorPrecision(double priorPrecision) =>
        priorPrecision > 0 && !double.IsInfinity(priorPrecision)
            ? new LaplaceLoraPosterior(Model, Adapter, Metadata, blocks, priorPrecision, [])
            : throw new ArgumentOutOfRangeException(nameof(priorPrecision), priorPrecision, "The prior precision must be positive and finite.");

    /// <summary>The eigenbases and eigenvalue products (nothing for a view); the model and adapter belong to their owners.</summary>
    public IEnumerable<Tensor> OwnedTensors() => ownedBases.Count == 0
        ? []
        : ownedBases.SelectMany(b => new[] { b.Vectors, b.Values }).Concat(blocks.Select(b => b.EigenvalueProducts));

    public void Dispose() => TensorOwner.DisposeAll(this);

    /// <summary>f(theta_MAP) for the classes, and the Jacobian of those logits with respect to every LoRA matrix.</summary>
    public LoraJacobian JacobianMean(TokenBatch batch, Tensor classIndices) =>
        LoraJacobian.Compute(Model, Adapter, batch, classIndices);

    /// <summary>
    /// The linearised predictive covariance of the class logits, (B, C, C) float64:
    /// sum over blocks of sum_ij P_c[i,j] P_c'[i,j] / (N l_i s_j + lambda) for a complete eigenbasis; a truncated one adds
    /// &lt;G_c, G_c'&gt;_F / lambda and weighs its kept directions by (1 / (N l_i s_j + lambda) - 1 / lambda),
    /// with P_c = Q_L^T G_c Q_S. Nothing of size D x D or P x P is formed.
    /// </summary>
    public Tensor Variance(LoraJacobian jacobian)
    {
        using var scope = NewDisposeScope();
        var total = Covariance(jacobian, jacobian);
        // Exactly symmetric: the two products agree only up to rounding.
        return (0.5 * (total + total.transpose(1, 2))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The posterior covariance between the class logits of two batches of the same size, prompt by
    /// prompt: (B, C1, C2), entry [b, c, c'] = J1[b, c] Sigma J2[b, c']^T. Pairs of responses (a reward
    /// model's chosen and rejected) need it for the joint Gaussian of their rewards; with the same
    /// Jacobian twice it is <see cref="Variance"/>.
    /// </summary>
    public Tensor Covariance(LoraJacobian first, LoraJacobian second)
    {
        if (first.Logits.shape[0] != second.Logits.shape[0])
            throw new ArgumentException($"Batches of {first.Logits.shape[0]} and {second.Logits.shape[0]} prompts cannot be paired.");
        using var scope = NewDisposeScope();
        var total = zeros(first.Logits.shape[0], first.Logits.shape[1], second.Logits.shape[1], ScalarType.Float64, Model.Device);
        foreach (var block in blocks)
        {
            // A LoRA matrix the forward never reached (say, on the head this adapter does not read) has a zero gradient.
            var key = (block.ModulePath, block.Side);
            if (!first.Gradients.TryGetValue(key, out var g1) || !second.Gradients.TryGetValue(key, out var g2))
                continue;
            // A complete eigenbasis (square factors) gives sum P P' / (N l s + lambda) directly; only a
            // truncated one needs the prior's share of the directions it does not keep, <G, G'> / lambda,
            // whose near-cancellation with the kept part would cost float32 eigenvectors their accuracy.
            bool complete = block.Rows.Kept == block.Rows.Dimension && block.Columns.Kept == block.Columns.Dimension;
            if (!complete)
                total += g1.flatten(2).matmul(g2.flatten(2).transpose(1, 2)) / PriorPrecision;
            // P = Q_L^T G Q_S in the eigenvectors' precision; the Woodbury weights below stay float64,
            // where 1 / (N l s + lambda) - 1 / lambda cancels.
            var p1 = block.Project(g1); // (B, C1, kL * kS)
            var p2 = block.Project(g2);
            var kept = 1.0 / (NExamples * block.EigenvalueProducts + PriorPrecision);
            var weights = (complete ? kept : kept - 1.0 / PriorPrecision).flatten();
            total += (p1 * weights).matmul(p2.transpose(1, 2));
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// log det(F + lambda I) over all P directions: the kept eigen-directions contribute
    /// log(N l_i s_j + lambda), the rest log(lambda).
    /// </summary>
    public double LogDeterminant(double priorPrecision)
    {
        double sum = 0;
        foreach (var block in blocks)
        {
            using var scope = NewDisposeScope();
            // Scalars held by `using`: TorchSharp passes a temporary Scalar's handle to native code without
            // keeping the Scalar alive, so its finalizer can free it mid-call (seen once in CI, here, where
            // prior tuning calls this thousands of times).
            using var examples = ((double)NExamples).ToScalar();
            using var shift = priorPrecision.ToScalar();
            double kept = block.EigenvalueProducts.mul(examples).add_(shift).log_().sum().item<double>();
            long unkept = block.ParameterCount - block.EigenvalueProducts.numel();
            sum += kept + unkept * Math.Log(priorPrecision);
        }
        return sum;
    }

    /// <summary>
    /// The Laplace model evidence, log p(D | lambda) ~= log p(D | theta_MAP) - lambda/2 ||theta_MAP||^2
    /// + P/2 log lambda - 1/2 log det(F + lambda I), with <paramref name="logLikelihood"/> summed over
    /// the training data that gave the factors.
    /// </summary>
    public double ModelEvidence(double logLikelihood, double priorPrecision)
    {
        long parameters = blocks.Sum(b => b.ParameterCount);
        return logLikelihood
            - 0.5 * priorPrecision * SquaredNormOfMap()
            + 0.5 * parameters * Math.Log(priorPrecision)
            - 0.5 * LogDeterminant(priorPrecision);
    }

    /// <summary>||theta_MAP||^2 over every LoRA matrix and saved weight, in float64 (computed once: prior tuning asks for every lambda it tries).</summary>
    public double SquaredNormOfMap() => squaredNorm ??= ComputeSquaredNorm();

    private double? squaredNorm;

    private double ComputeSquaredNorm()
    {
        using var scope = NewDisposeScope();
        return Adapter.Modules.Sum(m =>
                m.A.to(ScalarType.Float64).square().sum().item<double>() + m.B.to(ScalarType.Float64).square().sum().item<double>())
            + Adapter.SavedModules.Sum(s => s.Weight.to(ScalarType.Float64).square().sum().item<double>());
    }
}
