using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// One posterior method of one adapter as the predictive engine runs it: MAP, Laplace, and every
/// sampled posterior (BLoB, SWAG, ensembles, SVGD, MC dropout) through this one interface, for
/// classification and reward adapters alike. A method is one of two kinds, which decides how its
/// rows enter a forward pass: an <see cref="IForwardSampler"/> (its rows only need forward passes, so
/// they share them with every other such row of the same base model, whatever the adapter), or an
/// <see cref="ILinearisedMethod"/> (its rows need the Jacobian: a forward with autograd and one
/// backward per output, shared with rows of the same posterior). Adding a method means implementing
/// one of the two in its own file and registering it where an adapter's methods are built.
/// </summary>
public interface IPredictiveMethod
{
    /// <summary>The name requests use: map, laplace, blob, swag, ensemble, svgd, mc_dropout.</summary>
    string Name { get; }

    /// <summary>The adapter whose structure (and, unless drawn, whose weights) the method's rows use.</summary>
    LoraAdapter Adapter { get; }

    /// <summary>
    /// Forward-pass equivalents one text costs with <paramref name="outputs"/> outputs (classes, or 1
    /// for a reward) and <paramref name="samples"/> samples: what admission charges.
    /// </summary>
    long PassesPerText(int outputs, int samples);

    /// <summary>Why <paramref name="samples"/> means nothing for this method (an ensemble's K, no mean weights), or null.</summary>
    string? SamplesError(int samples);

    /// <summary>The prior precision a response reports, or null when the method has none.</summary>
    double? PriorPrecision { get; }

    /// <summary>What a request's <c>samples</c> count for this method, and so which limit bounds them.</summary>
    SampleMeaning Samples { get; }
}

/// <summary>What a request's <c>samples</c> count.</summary>
public enum SampleMeaning
{
    /// <summary>Nothing: a point estimate (MAP); responses report 0.</summary>
    None,

    /// <summary>Weight samples, each a forward row; 0 is the mean weights alone where the method has them.</summary>
    WeightSamples,

    /// <summary>Monte Carlo draws from the outputs' Gaussian, after one forward and one backward per output.</summary>
    GaussianDraws,
}

/// <summary>A method whose rows need forward passes only: one row per sample (one for the point estimate).</summary>
public interface IForwardSampler : IPredictiveMethod
{
    /// <summary>Forward rows per text for <paramref name="samples"/> samples.</summary>
    int Rows(int samples);

    /// <summary>
    /// True when the rows are samples of a posterior whose spread the answer reports (sample moments);
    /// false for a point estimate (MAP, or a sampled method's mean weights with samples = 0).
    /// </summary>
    bool IsSampled(int samples);

    /// <summary>
    /// The per-row LoRA weights of <paramref name="samples"/> draws from <paramref name="generator"/>,
    /// by module path; null when every row uses <see cref="IPredictiveMethod.Adapter"/>'s own weights.
    /// </summary>
    IReadOnlyDictionary<string, RowLoraWeights>? Draw(int samples, Generator generator, ScalarType dtype, Device device);

    /// <summary>
    /// Per-sample weights (S, out, in) of modules the adapter saves whole, by module path, when its
    /// samples differ there too (an ensemble of reward models, each member with its own score head);
    /// null when every sample reads the adapter's saved modules.
    /// </summary>
    IReadOnlyDictionary<string, Tensor>? SavedRows(int samples, ScalarType dtype, Device device);

    /// <summary>Dropout on every LoRA input at prediction time (MC dropout's p); 0 for the rest.</summary>
    double RowDropout(int samples);

    /// <summary>A factor every output of the method's rows is multiplied by (temperature scaling's 1/T); 1 for the rest.</summary>
    double OutputScale => 1;
}

/// <summary>A method whose predictive is the linearised Gaussian of the outputs: it needs the Jacobian of its rows.</summary>
public interface ILinearisedMethod : IPredictiveMethod
{
    LaplaceLoraPosterior Posterior { get; }
}
