using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Sampling;

namespace UncertaintyService.Core.Laplace;

/// <summary>A sampled posterior listed in posterior.json: its file beside it and the default number of samples.</summary>
public sealed record SampledMethodEntry
{
    public required string File { get; init; }

    /// <summary>Weight samples (forward passes) per prompt when a request names none.</summary>
    public int Samples { get; init; } = 10;
}

/// <summary>Temperature scaling's T, fitted on the validation split by NLL (<c>fit-temperature</c>).</summary>
public sealed record TemperatureEntry
{
    public required double Value { get; init; }

    /// <summary>The validation NLL at <see cref="Value"/>, as fitted.</summary>
    public double? ValidationNll { get; init; }
}

/// <summary>
/// An adapter's <c>posterior.json</c>: which posterior it serves by default, the Laplace
/// hyperparameters (when <see cref="PriorPrecision"/> is given) and the sampled posteriors it has.
/// </summary>
public sealed record PosteriorConfig
{
    public const string FileName = "posterior.json";

    /// <summary>Every method a posterior.json can name, in the order they are listed.</summary>
    public static readonly IReadOnlyList<string> SupportedMethods =
        ["map", "temperature", "laplace", BlobPosterior.MethodName, SwagPosterior.MethodName, ParticlePosterior.EnsembleMethod, ParticlePosterior.SvgdMethod, McDropoutPosterior.MethodName];
    public static readonly IReadOnlySet<string> SupportedPriorTunings = new HashSet<string> { "evidence", "validation_nll", "manual" };

    /// <summary>The method served when a request names none.</summary>
    public string Method { get; init; } = "laplace";

    /// <summary>lambda: the precision of the isotropic Gaussian prior on the LoRA weights; absent when the adapter has no Laplace posterior.</summary>
    public double? PriorPrecision { get; init; }

    /// <summary>How <see cref="PriorPrecision"/> was chosen.</summary>
    public string PriorTuning { get; init; } = "manual";

    /// <summary>The log evidence at <see cref="PriorPrecision"/>, when tuned by evidence.</summary>
    public double? LogEvidence { get; init; }

    /// <summary>Laplace's Monte Carlo samples of the logit Gaussian when a request names none.</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>The K-FAC factor file, beside posterior.json.</summary>
    public string KfacFile { get; init; } = KfacFactorFile.FileName;

    /// <summary>Optional copy of the factor file's n_examples; when given the two must agree.</summary>
    public long? NExamples { get; init; }

    public SampledMethodEntry? Blob { get; init; }

    public SampledMethodEntry? Swag { get; init; }

    public SampledMethodEntry? Ensemble { get; init; }

    public SampledMethodEntry? Svgd { get; init; }

    public SampledMethodEntry? McDropout { get; init; }

    public TemperatureEntry? Temperature { get; init; }

    /// <summary>The sampled posteriors listed, by method name.</summary>
    public IReadOnlyDictionary<string, SampledMethodEntry> SampledEntries() =>
        new (string Method, SampledMethodEntry? Entry)[]
        {
            (BlobPosterior.MethodName, Blob), (SwagPosterior.MethodName, Swag), (ParticlePosterior.EnsembleMethod, Ensemble),
            (ParticlePosterior.SvgdMethod, Svgd), (McDropoutPosterior.MethodName, McDropout),
        }.Where(p => p.Entry is not null).ToDictionary(p => p.Method, p => p.Entry!);

    /// <summary>The methods this file makes available: map always, temperature when fitted, laplace with a prior precision, then each sampled one.</summary>
    public IReadOnlyList<string> AvailableMethods() =>
        SupportedMethods.Where(m => m switch
        {
            "map" => true,
            "temperature" => Temperature is not null,
            "laplace" => PriorPrecision is not null,
            _ => SampledEntries().ContainsKey(m),
        }).ToList();

    /// <summary>This config with <paramref name="method"/>'s entry set (or replaced).</summary>
    public PosteriorConfig WithSampled(string method, SampledMethodEntry entry) => method switch
    {
        BlobPosterior.MethodName => this with { Blob = entry },
        SwagPosterior.MethodName => this with { Swag = entry },
        ParticlePosterior.EnsembleMethod => this with { Ensemble = entry },
        ParticlePosterior.SvgdMethod => this with { Svgd = entry },
        McDropoutPosterior.MethodName => this with { McDropout = entry },
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "not a sampled method"),
    };

    /// <summary>The adapter folder's posterior.json, or a MAP-only one when there is none.</summary>
    public static PosteriorConfig LoadOrDefault(string adapterFolder)
    {
        var path = Path.Combine(adapterFolder, FileName);
        return File.Exists(path) ? Load(path) : new PosteriorConfig { Method = "map" };
    }

    public static PosteriorConfig Load(string path)
    {
        var config = StrictJson.Load<PosteriorConfig>(path);
        config.Validate(path);
        return config;
    }

    public void Save(string path) => StrictJson.Save(path, this);

    public void Validate(string path)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new BundleFormatException(path, key, problem);
        }

        Require(SupportedMethods.Contains(Method), "method", $"'{Method}' is not supported; supported: {string.Join(", ", SupportedMethods)}");
        Require(AvailableMethods().Contains(Method), "method", $"'{Method}' is the default but this file does not configure it; configured: {string.Join(", ", AvailableMethods())}");
        Require(PriorPrecision is null || (PriorPrecision > 0 && double.IsFinite(PriorPrecision.Value)), "prior_precision", "must be positive and finite");
        Require(SupportedPriorTunings.Contains(PriorTuning), "prior_tuning",
            $"'{PriorTuning}' is not one of {string.Join(", ", SupportedPriorTunings)}");
        Require(Samples >= 1, "samples", "must be at least 1");
        Require(KfacFile.Length > 0 && Path.GetFileName(KfacFile) == KfacFile && KfacFile is not ("." or ".."), "kfac_file",
            "must be a file name beside posterior.json, not a path");
        Require(NExamples is null or > 0, "n_examples", "must be positive when given");
        Require(Temperature is null || (Temperature.Value > 0 && double.IsFinite(Temperature.Value)), "temperature.value", "must be positive and finite");
        foreach (var (method, entry) in SampledEntries())
        {
            Require(entry.File.Length > 0 && Path.GetFileName(entry.File) == entry.File && entry.File is not ("." or ".."), $"{method}.file",
                "must be a file name beside posterior.json, not a path");
            Require(entry.Samples >= 1, $"{method}.samples", "must be at least 1");
        }
    }

    /// <summary>Reads the factors this file names and builds the posterior for <paramref name="adapter"/>.</summary>
    public static (PosteriorConfig Config, LaplaceLoraPosterior Posterior) LoadPosterior(string adapterFolder,
        Model.LlamaModel model, Lora.LoraAdapter adapter)
    {
        var path = Path.Combine(adapterFolder, FileName);
        var config = Load(path);
        return (config, config.LoadLaplace(adapterFolder, model, adapter)
            ?? throw new BundleFormatException(path, "prior_precision", "missing: this adapter has no Laplace posterior"));
    }

    /// <summary>The Laplace posterior this config describes, or null when it has no prior precision.</summary>
    public LaplaceLoraPosterior? LoadLaplace(string adapterFolder, Model.LlamaModel model, Lora.LoraAdapter adapter)
    {
        if (PriorPrecision is not { } lambda) return null;
        var path = Path.Combine(adapterFolder, FileName);
        var config = this;
        using var factors = KfacFactorReader.Open(Path.Combine(adapterFolder, config.KfacFile));
        if (config.NExamples is { } n && n != factors.Metadata.NExamples)
            throw new BundleFormatException(path, "n_examples",
                $"{n} disagrees with {config.KfacFile}, whose factors were accumulated over {factors.Metadata.NExamples} examples");
        return LaplaceLoraPosterior.Create(model, adapter, factors, lambda);
    }
}
