using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tokenization;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Bundles;

/// <summary>A base model and tokenizer loaded once and shared by every adapter of its bundle.</summary>
public sealed record LoadedBase(string Bundle, string Folder, LlamaModel Model, PromptTokenizer Tokenizer) : ITensorOwner
{
    public IEnumerable<Tensor> OwnedTensors() => Model.OwnedTensors();

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Everything needed to serve one adapter, immutable once built: a reload builds a new one and swaps
/// it in, so requests in flight finish on the version they started with. It owns its LoRA weights and
/// posteriors (not the base model); whoever serves it disposes it once no request uses it.
/// </summary>
public sealed record LoadedAdapter(
    string Id,
    string Folder,
    LoadedBase Base,
    LoraAdapter Adapter,
    TaskDefinition Task,
    PosteriorConfig Posterior,
    LaplaceLoraPosterior? Laplace,
    CalibrationReport? Calibration,
    string Sha256,
    DateTimeOffset LoadedAt) : ITensorOwner
{
    /// <summary>The label token ids the task reads, resolved once at load.</summary>
    public required int[] LabelTokenIds { get; init; }

    /// <summary>The calibration report without reliability bins, built once: every classify response carries it.</summary>
    public CalibrationReport? CalibrationSummary { get; } = Calibration?.Summary();

    /// <summary>The sampled posteriors (BLoB, SWAG, ensembles, SVGD, MC dropout) posterior.json lists, by method.</summary>
    public IReadOnlyDictionary<string, SampledPosterior> Sampled { get; init; } = new Dictionary<string, SampledPosterior>();

    /// <summary>Posterior methods this adapter can serve, in posterior.json's order.</summary>
    public IReadOnlyList<string> Methods { get; } = Posterior.AvailableMethods();

    /// <summary>Every method this adapter serves, by name: the one way requests reach the predictive engine.</summary>
    public IReadOnlyDictionary<string, IPredictiveMethod> Predictives => predictives ??= BuildPredictives();

    private IReadOnlyDictionary<string, IPredictiveMethod>? predictives;

    private Dictionary<string, IPredictiveMethod> BuildPredictives()
    {
        var all = new Dictionary<string, IPredictiveMethod> { [MapMethod.MethodName] = new MapMethod(Adapter) };
        if (Posterior.Temperature is { } temperature) all[TemperatureMethod.MethodName] = new TemperatureMethod(Adapter, temperature.Value);
        if (Laplace is not null) all[LaplaceLoraPosterior.MethodName] = Laplace;
        foreach (var (name, posterior) in Sampled) all[name] = posterior;
        return all;
    }

    public IEnumerable<Tensor> OwnedTensors() =>
        Adapter.OwnedTensors()
            .Concat(Laplace?.OwnedTensors() ?? [])
            .Concat(Sampled.Values.SelectMany(p => p.OwnedTensors()));

    public void Dispose() => TensorOwner.DisposeAll(this);

    /// <summary>Samples per prompt when a request names none: Laplace's logit draws, or a sampled method's forward passes.</summary>
    public int DefaultSamples(string method) =>
        Posterior.SampledEntries().TryGetValue(method, out var entry) ? entry.Samples : Posterior.Samples;
}
