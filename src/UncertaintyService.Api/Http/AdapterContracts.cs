using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Http;

/// <summary>A loaded base model.</summary>
public sealed record ModelInfo(string Name, string ModelType, int HiddenSize, int Layers, int VocabSize, string Dtype, string Device,
    IReadOnlyList<string> Adapters);

/// <summary>An adapter in the list.</summary>
public sealed record AdapterSummary(string Id, string Base, string Kind, IReadOnlyList<string> Methods, string DefaultMethod,
    IReadOnlyList<string> Labels);

/// <summary>An adapter with its posterior and full calibration metadata.</summary>
public sealed record AdapterDetails(
    string Id,
    string Base,
    string Kind,
    string? Description,
    IReadOnlyList<string> Labels,
    IReadOnlyList<string> LabelTokens,
    string? PromptTemplate,
    IReadOnlyList<string> TemplateFields,
    IReadOnlyList<string> Methods,
    string DefaultMethod,
    LoraInfo Lora,
    PosteriorInfo? Posterior,
    IReadOnlyList<SampledPosteriorInfo> SampledPosteriors,
    CalibrationReport? Calibration,
    string Sha256,
    DateTimeOffset LoadedAt);

public sealed record LoraInfo(int Rank, double Alpha, IReadOnlyList<string> Modules, long ParameterCount, string TaskType);

/// <param name="PriorPrecision">lambda.</param>
/// <param name="PriorTuning">evidence, validation_nll or manual.</param>
/// <param name="NExamples">N of the K-FAC factors.</param>
/// <param name="Fisher">exact, mc or empirical.</param>
/// <param name="Positions">expand, reduce or last.</param>
public sealed record PosteriorInfo(string Method, double PriorPrecision, string PriorTuning, double? LogEvidence, int Samples,
    long NExamples, string Fisher, string Positions);

/// <summary>A sampled posterior of the adapter (BLoB, SWAG, ensemble, SVGD, MC dropout).</summary>
/// <param name="Method">The name a request's method gives.</param>
/// <param name="File">Its file in the adapter folder.</param>
/// <param name="DefaultSamples">Weight samples (forward passes) per prompt when a request names none.</param>
/// <param name="MaxSamples">Ensembles: K, the members; null when any number can be drawn.</param>
/// <param name="Details">What defines the distribution (sigma mapping and prior, SWAG rank and scale, dropout p, member count).</param>
public sealed record SampledPosteriorInfo(string Method, string File, int DefaultSamples, int? MaxSamples, IReadOnlyDictionary<string, string> Details);

/// <summary>Load or reload an adapter from a folder under the configured model root.</summary>
public sealed record LoadAdapterRequest
{
    /// <summary>Bundle whose base model the adapter is for.</summary>
    /// <example>demo</example>
    public string? Bundle { get; init; }

    /// <summary>Id to serve it under; an existing adapter with this id is replaced atomically.</summary>
    /// <example>spam</example>
    public string? Id { get; init; }

    /// <summary>Adapter folder relative to the model root.</summary>
    /// <example>demo/adapters/spam</example>
    public string? Path { get; init; }
}
