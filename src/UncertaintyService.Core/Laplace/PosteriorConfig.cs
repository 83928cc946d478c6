using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// An adapter's <c>posterior.json</c>: which posterior it serves by default and its hyperparameters.
/// </summary>
public sealed record PosteriorConfig
{
    public const string FileName = "posterior.json";

    public static readonly IReadOnlySet<string> SupportedMethods = new HashSet<string> { "map", "laplace" };
    public static readonly IReadOnlySet<string> SupportedPriorTunings = new HashSet<string> { "evidence", "validation_nll", "manual" };

    /// <summary>The method served when a request names none.</summary>
    public string Method { get; init; } = "laplace";

    /// <summary>lambda: the precision of the isotropic Gaussian prior on the LoRA weights.</summary>
    public double PriorPrecision { get; init; }

    /// <summary>How <see cref="PriorPrecision"/> was chosen.</summary>
    public string PriorTuning { get; init; } = "manual";

    /// <summary>The log evidence at <see cref="PriorPrecision"/>, when tuned by evidence.</summary>
    public double? LogEvidence { get; init; }

    /// <summary>Monte Carlo samples when a request names none.</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>The K-FAC factor file, beside posterior.json.</summary>
    public string KfacFile { get; init; } = KfacFactorFile.FileName;

    /// <summary>Optional copy of the factor file's n_examples; when given the two must agree.</summary>
    public long? NExamples { get; init; }

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
        Require(PriorPrecision > 0 && double.IsFinite(PriorPrecision), "prior_precision", "must be positive and finite");
        Require(SupportedPriorTunings.Contains(PriorTuning), "prior_tuning",
            $"'{PriorTuning}' is not one of {string.Join(", ", SupportedPriorTunings)}");
        Require(Samples >= 1, "samples", "must be at least 1");
        Require(KfacFile.Length > 0 && Path.GetFileName(KfacFile) == KfacFile && KfacFile is not ("." or ".."), "kfac_file",
            "must be a file name beside posterior.json, not a path");
        Require(NExamples is null or > 0, "n_examples", "must be positive when given");
    }

    /// <summary>Reads the factors this file names and builds the posterior for <paramref name="adapter"/>.</summary>
    public static (PosteriorConfig Config, LaplaceLoraPosterior Posterior) LoadPosterior(string adapterFolder,
        Model.LlamaModel model, Lora.LoraAdapter adapter)
    {
        var path = Path.Combine(adapterFolder, FileName);
        var config = Load(path);
        var factors = KfacFactorFile.Load(Path.Combine(adapterFolder, config.KfacFile));
        if (config.NExamples is { } n && n != factors.Metadata.NExamples)
            throw new BundleFormatException(path, "n_examples",
                $"{n} disagrees with {config.KfacFile}, whose factors were accumulated over {factors.Metadata.NExamples} examples");
        return (config, LaplaceLoraPosterior.Create(model, adapter, factors, config.PriorPrecision));
    }
}
