using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>tune-prior-reward</c>: the prior precision of a reward posterior that maximises the Laplace model evidence; writes posterior.json.</summary>
internal static class TunePriorRewardCommand
{
    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var adapter = CommonOptions.Adapter();
        var data = RewardOptions.Data();
        var objective = PriorChoice.Objective();
        var trainSize = CommonOptions.TrainSize();
        var batchSize = CommonOptions.BatchSize(16);
        var maxTokens = CommonOptions.MaxTokens();
        var samples = PriorChoice.Samples();
        var command = new Command("tune-prior-reward", "Choose a reward posterior's prior precision by the model evidence of the Bradley-Terry likelihood (and report the validation-NLL choice).")
        {
            baseFolder, adapter, data, objective, trainSize, batchSize, maxTokens, samples,
        };
        command.SetAction(parse =>
        {
            var pipeline = RewardPipeline.Load(parse.GetValue(baseFolder)!.FullName, parse.GetValue(adapter)!.FullName, parse.GetValue(data)!.FullName);
            PriorChoice.CheckObjective(parse.GetValue(objective)!, pipeline.Data.Splits, pipeline.Data.Path);
            var factors = KfacFactorFile.Load(Path.Combine(pipeline.AdapterFolder, KfacFactorFile.FileName));
            var (chosen, rejected, _) = pipeline.Encode("train", parse.GetValue(trainSize), parse.GetValue(maxTokens));
            if (chosen.Count != factors.Metadata.NExamples)
            {
                AnsiConsole.MarkupLine($"[red]The factors were fitted on {factors.Metadata.NExamples} pairs but --train-size gives {chosen.Count}; use the same subset.[/]");
                return 2;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var posterior = LaplaceLoraPosterior.Create(pipeline.Model, pipeline.Adapter, factors, 1.0);
            int batch = parse.GetValue(batchSize);

            // log p(D | theta_MAP) = sum over the training pairs of log sigmoid(r_c - r_r).
            var map = RewardPredictions.Preferences(new MapMethod(pipeline.Adapter), pipeline.Model, chosen, rejected, 0, 0, batch);
            double logLikelihood = map.Sum(p => Math.Log(p.PMap));
            var (evidenceLambda, logEvidence) = PriorTuning.MaximiseEvidence(posterior, logLikelihood);

            (double Lambda, double Nll)? byValidation = null;
            int validationCount = 0;
            if (pipeline.Data.Splits.Contains("validation"))
            {
                var (validationChosen, validationRejected, _) = pipeline.Encode("validation", null, parse.GetValue(maxTokens));
                validationCount = validationChosen.Count;
                byValidation = PriorTuning.MinimiseValidationNll(RewardPredictions.ProbitNllByPrior(posterior, validationChosen, validationRejected, batch));
            }

            var config = PriorChoice.Save(pipeline.AdapterFolder, parse.GetValue(objective)!, evidenceLambda, logEvidence, byValidation,
                parse.GetValue(samples), factors.Metadata.NExamples);
            AnsiConsole.MarkupLine($"log p(D|theta_MAP) = {logLikelihood:F2} over {chosen.Count} pairs; evidence: lambda = {evidenceLambda:G4} (log evidence {logEvidence:F2})");
            if (byValidation is { } v)
                AnsiConsole.MarkupLine($"validation NLL (probit): lambda = {v.Lambda:G4} (NLL {v.Nll:F4} over {validationCount} pairs)");
            AnsiConsole.MarkupLine($"wrote posterior.json with prior_precision {config.PriorPrecision:G4} ({config.PriorTuning}) in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        });
        return command;
    }
}
