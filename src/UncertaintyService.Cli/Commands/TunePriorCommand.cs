using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>tune-prior</c>: the prior precision that maximises the Laplace model evidence; writes posterior.json.</summary>
internal static class TunePriorCommand
{
    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var adapter = CommonOptions.Adapter();
        var data = CommonOptions.Data();
        var objective = PriorChoice.Objective();
        var trainSize = CommonOptions.TrainSize();
        var batchSize = CommonOptions.BatchSize(16);
        var maxTokens = CommonOptions.MaxTokens();
        var samples = PriorChoice.Samples();
        var command = new Command("tune-prior", "Choose the prior precision by the model evidence (and report the validation-NLL choice beside it).")
        {
            baseFolder, adapter, data, objective, trainSize, batchSize, maxTokens, samples,
        };
        command.SetAction(parse =>
        {
            var pipeline = LoadedPipeline.Load(parse.GetValue(baseFolder)!.FullName, parse.GetValue(adapter)!.FullName, parse.GetValue(data)!.FullName);
            PriorChoice.CheckObjective(parse.GetValue(objective)!, pipeline.Data.Splits, pipeline.Data.Path);
            var factors = KfacFactorFile.Load(Path.Combine(pipeline.AdapterFolder, KfacFactorFile.FileName));
            var (prompts, labels) = pipeline.Encode("train", parse.GetValue(trainSize), parse.GetValue(maxTokens));
            if (prompts.Count != factors.Metadata.NExamples)
            {
                AnsiConsole.MarkupLine($"[red]The factors were fitted on {factors.Metadata.NExamples} examples but --train-size gives {prompts.Count}; use the same subset.[/]");
                return 2;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var posterior = LaplaceLoraPosterior.Create(pipeline.Model, pipeline.Adapter, factors, 1.0);

            // log p(D | theta_MAP) on the data that gave the factors.
            var logits = BatchedPredictions.MapLogits(pipeline.Model, pipeline.Adapter, prompts, pipeline.ClassIndices, parse.GetValue(batchSize));
            double logLikelihood = logits.Select((l, i) => Math.Log(Softmax.Of(l)[labels[i]])).Sum();
            var (evidenceLambda, logEvidence) = PriorTuning.MaximiseEvidence(posterior, logLikelihood);

            (double Lambda, double Nll)? byValidation = null;
            int validationCount = 0;
            if (pipeline.Data.Splits.Contains("validation"))
            {
                var (validationPrompts, validationLabels) = pipeline.Encode("validation", null, parse.GetValue(maxTokens));
                validationCount = validationPrompts.Count;
                var nll = BatchedPredictions.ProbitNllByPrior(posterior, validationPrompts, validationLabels, pipeline.ClassIndices, parse.GetValue(batchSize));
                var (lambda, value) = PriorTuning.MinimiseValidationNll(nll);
                byValidation = (lambda, value);
            }

            var config = PriorChoice.Save(pipeline.AdapterFolder, parse.GetValue(objective)!, evidenceLambda, logEvidence, byValidation,
                parse.GetValue(samples), factors.Metadata.NExamples);
            AnsiConsole.MarkupLine($"log p(D|theta_MAP) = {logLikelihood:F2} over {prompts.Count} examples; "
                + $"evidence: lambda = {evidenceLambda:G4} (log evidence {logEvidence:F2})");
            if (byValidation is { } v)
                AnsiConsole.MarkupLine($"validation NLL (probit): lambda = {v.Lambda:G4} (NLL {v.Nll:F4} over {validationCount} examples)");
            AnsiConsole.MarkupLine($"wrote posterior.json with prior_precision {config.PriorPrecision:G4} ({config.PriorTuning}) in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        });
        return command;
    }
}
