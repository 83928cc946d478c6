using System.CommandLine;
using UncertaintyService.Core.Laplace;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>What tune-prior and tune-prior-reward keep: the evidence choice of lambda, or the validation-NLL one when asked for and available.</summary>
public static class PriorChoice
{
    public static Option<string> Objective()
    {
        var objective = new Option<string>("--objective") { Description = "Which choice posterior.json keeps: evidence or validation_nll.", DefaultValueFactory = _ => "evidence" };
        objective.AcceptOnlyFromAmong("evidence", "validation_nll");
        return objective;
    }

    public static Option<int> Samples() =>
        new("--samples") { Description = "Default Monte Carlo samples written to posterior.json.", DefaultValueFactory = _ => 1000 };

    /// <param name="objective">evidence or validation_nll.</param>
    /// <param name="byValidation">The validation-NLL choice; null when there is no validation split.</param>
    public static PosteriorConfig Save(string adapterFolder, string objective, double evidenceLambda, double logEvidence,
        (double Lambda, double Nll)? byValidation, int samples, long examples)
    {
        bool useValidation = objective == "validation_nll" && byValidation is not null;
        // Keep what else posterior.json lists (sampled posteriors); Laplace becomes the default.
        var config = PosteriorConfig.LoadOrDefault(adapterFolder) with
        {
            Method = "laplace",
            PriorPrecision = useValidation ? byValidation!.Value.Lambda : evidenceLambda,
            PriorTuning = useValidation ? "validation_nll" : "evidence",
            LogEvidence = useValidation ? null : logEvidence,
            Samples = samples,
            NExamples = examples,
        };
        config.Save(Path.Combine(adapterFolder, PosteriorConfig.FileName));
        return config;
    }
}
