using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Cli.Commands;

/// <summary>
/// <c>fit-temperature</c>: temperature scaling's T on the validation split by NLL, for classification and
/// reward adapters alike; lists <c>temperature</c> in posterior.json (served like every other method).
/// </summary>
internal static class FitTemperatureCommand
{
    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var adapter = CommonOptions.Adapter();
        var data = CommonOptions.Data();
        var batchSize = CommonOptions.BatchSize(16);
        var maxTokens = CommonOptions.MaxTokens();
        var command = new Command("fit-temperature", "Temperature scaling: one scalar T dividing the MAP outputs, chosen by validation NLL; lists temperature in posterior.json.")
        {
            baseFolder, adapter, data, batchSize, maxTokens,
        };
        command.SetAction(parse =>
        {
            string adapterFolder = parse.GetValue(adapter)!.FullName, basePath = parse.GetValue(baseFolder)!.FullName, dataPath = parse.GetValue(data)!.FullName;
            (double T, double Nll, int N, double MapNll) fit;
            if (PosteriorTrainingOptions.AdapterKind(adapterFolder) == "reward")
            {
                var pipeline = RewardPipeline.Load(basePath, adapterFolder, dataPath);
                var (chosen, rejected, _) = pipeline.Encode("validation", null, parse.GetValue(maxTokens));
                var map = RewardPredictions.Preferences(new MapMethod(pipeline.Adapter), pipeline.Model, chosen, rejected, 0, 0, parse.GetValue(batchSize));
                var differences = map.Select(p => p.ChosenMean - p.RejectedMean).ToList();
                var (t, nll) = TemperatureFit.Preferences(differences);
                fit = (t, nll, differences.Count, map.Average(p => -Math.Log(Math.Max(p.PMap, CalibrationMetricsCalculator.ProbabilityFloor))));
            }
            else
            {
                var pipeline = LoadedPipeline.Load(basePath, adapterFolder, dataPath);
                var (prompts, labels) = pipeline.Encode("validation", null, parse.GetValue(maxTokens));
                var logits = BatchedPredictions.MapLogits(pipeline.Model, pipeline.Adapter, prompts, pipeline.ClassIndices, parse.GetValue(batchSize));
                var (t, nll) = TemperatureFit.Classification(logits, labels);
                fit = (t, nll, labels.Count, logits.Select((z, i) => -TemperatureFit.LogSoftmax(z, 1, labels[i])).Average());
            }
            using (AdapterFolderLock.Hold(adapterFolder))
            {
                var path = Path.Combine(adapterFolder, PosteriorConfig.FileName);
                var config = PosteriorConfig.LoadOrDefault(adapterFolder) with { Temperature = new TemperatureEntry { Value = fit.T, ValidationNll = fit.Nll } };
                config.Validate(path);
                config.Save(path);
            }
            if (Math.Abs(Math.Log(fit.T / TemperatureFit.MinTemperature)) < 1e-3 || Math.Abs(Math.Log(TemperatureFit.MaxTemperature / fit.T)) < 1e-3)
                Console.Error.WriteLine($"warning: T = {fit.T:G4} sits at the end of the search range [{TemperatureFit.MinTemperature}, {TemperatureFit.MaxTemperature}]");
            AnsiConsole.MarkupLine($"temperature T = {fit.T:G4}: validation NLL {fit.MapNll:F4} (MAP) -> {fit.Nll:F4} over {fit.N} examples; posterior.json lists temperature");
            return 0;
        });
        return command;
    }
}
