using System.Globalization;

namespace UncertaintyService.Core.Sampling;

/// <summary>The hyperparameters that define a sampled posterior, as text for listings.</summary>
public static class SampledPosteriorDescription
{
    public static IReadOnlyDictionary<string, string> Of(SampledPosterior posterior) => posterior switch
    {
        BlobPosterior b => new Dictionary<string, string>
        {
            ["sigma_mapping"] = b.Mapping.ToString().ToLowerInvariant(),
            ["prior_std"] = Text(b.PriorStd),
        },
        SwagPosterior s => new Dictionary<string, string>
        {
            ["deviation_columns"] = Text(s.DeviationColumns),
            ["scale"] = Text(s.Scale),
            ["snapshots"] = Text(s.Snapshots),
        },
        ParticlePosterior p => new Dictionary<string, string>
        {
            ["training"] = p.Training.ToString().ToLowerInvariant(),
            ["members"] = Text(p.Members),
        },
        McDropoutPosterior m => new Dictionary<string, string> { ["dropout"] = Text(m.DropoutProbability) },
        _ => new Dictionary<string, string>(),
    };

    private static string Text(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
