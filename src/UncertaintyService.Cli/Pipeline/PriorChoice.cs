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

    /// <summary>Refuses validation_nll up front when the data has no validation split (it used to fall back to evidence silently).</summary>
    public static void CheckObjective(string objective, IReadOnlyList<string> splits, string dataPath)
    {
        if (objective == "validation_nll" && !splits.Contains("validation"))
            throw new ArgumentException($"--objective validation_nll: {dataPath} has no validation split to choose lambda on");
    }

    /// <param name="objective">evidence or validation_nll.</param>
    /// <param name="byValidation">The validation-NLL choice; null when there is no validation split.</param>
    public static PosteriorConfig Save(string adapterFolder, string objective, double evidenceLambda, double logEvidence,
        (double Lambda, double Nll)? byValidation, int samples, long examples)
    {
        if (objective == "validation_nll" && byValidation is null)
            throw new ArgumentException("--objective validation_nll: the data has no validation split to choose lambda on");
        bool useValidation = objective == "validation_nll";
        using var guard = AdapterFolderLock.Hold(adapterFolder);
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
        WarnAtEdge("evidence", evidenceLambda);
        if (byValidation is { } v) WarnAtEdge("validation-NLL", v.Lambda);
        return config;
    }

    // A choice on the search range's end is the range's, not the data's: say so.
    private static void WarnAtEdge(string which, double lambda)
    {
        double low = Math.Log(PriorTuning.DefaultMinLambda), high = Math.Log(PriorTuning.DefaultMaxLambda), at = Math.Log(lambda);
        if (at - low < 1e-3 || high - at < 1e-3)
            Console.Error.WriteLine($"warning: the {which} lambda {lambda:G4} sits at the end of the search range "
                + $"[{PriorTuning.DefaultMinLambda:G}, {PriorTuning.DefaultMaxLambda:G}]; the best value may lie beyond it");
    }
}
