using System.Text.Json.Nodes;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Synthetic;
using UncertaintyService.Data;

namespace UncertaintyService.Cli.Tests;

/// <summary>
/// Bad input to the CLI, as a user would make it on a new task file: one line naming file, line, field
/// and value, exit code 2, no stack trace (unless --verbose), and no output file from a run that failed.
/// </summary>
[Collection(nameof(ConsoleCommands))]
public sealed class BadInputTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string bundle, baseFolder, adapter, data;

    public BadInputTests()
    {
        bundle = folder.Folder("bundle");
        DemoBundle.Write(bundle, RepositoryFiles.Llama2Tokenizer, new DemoBundle.Options { HiddenSize = 16, Heads = 2, KeyValueHeads = 1, IntermediateSize = 32, Rank = 2 });
        baseFolder = Path.Combine(bundle, "base");
        adapter = Path.Combine(bundle, "adapters", "lights");
        data = LightsTask.Write(folder.Folder("task"));
    }

    public void Dispose() => folder.Dispose();

    private static (int Code, string Error) Run(params string[] args)
    {
        var error = new StringWriter();
        int code = CliApplication.Run(args, error);
        return (code, error.ToString());
    }

    private static void AssertOneLine(string error, params string[] named)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, error);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("LineNumber", error);
        foreach (var word in named) Assert.Contains(word, error);
    }

    private void ReplaceLine(int number, Func<string, string> change)
    {
        var lines = File.ReadAllLines(data);
        lines[number - 1] = change(lines[number - 1]);
        File.WriteAllLines(data, lines);
    }

    private static void Ok((int Code, string Error) run) => Assert.True(run.Code == 0, run.Error);

    private (int, string) Finetune() => Run("finetune", "--base", baseFolder, "--data", data, "--out", adapter, "--steps", "2", "--rank", "2", "--targets", "q_proj");

    [Fact]
    public void ALabelNotInTheListNamesFileLineFieldAndValue()
    {
        ReplaceLine(3, l => l.Replace("\"label\":\"on\"", "\"label\":\"maybe\"").Replace("\"label\":\"off\"", "\"label\":\"maybe\""));

        var (code, error) = Finetune();

        Assert.Equal(2, code);
        AssertOneLine(error, "examples.jsonl:3:", "field 'label'", "'maybe'", "on, off");
        Assert.False(Directory.Exists(adapter));
    }

    [Theory]
    [InlineData("")]
    [InlineData("dev")]
    public void ASplitNameTheCommandsDoNotReadIsRefused(string split)
    {
        ReplaceLine(5, l => System.Text.RegularExpressions.Regex.Replace(l, "\"split\":\"[a-z]*\"", $"\"split\":\"{split}\""));

        var (code, error) = Finetune();

        Assert.Equal(2, code);
        AssertOneLine(error, "examples.jsonl:5:", "field 'split'", $"'{split}'", "train, validation, test, ood");
    }

    [Fact]
    public void AMalformedLineSaysWhereWithoutTheParsersInternalPosition()
    {
        ReplaceLine(10, l => l[..^3]);

        var (code, error) = Finetune();

        Assert.Equal(2, code);
        AssertOneLine(error, "examples.jsonl:10:", "not a task example", "column");
    }

    [Fact]
    public void NoTrainRowsIsSaidSo()
    {
        File.WriteAllLines(data, File.ReadAllLines(data).Where(l => !l.Contains("\"split\":\"train\"")));

        var (code, error) = Finetune();

        Assert.Equal(2, code);
        AssertOneLine(error, "examples.jsonl", "split 'train' has no rows");
    }

    [Fact]
    public void VerbosePrintsTheStackTraceToo()
    {
        ReplaceLine(3, l => l.Replace("\"label\":\"on\"", "\"label\":\"maybe\"").Replace("\"label\":\"off\"", "\"label\":\"maybe\""));

        var (code, error) = Run("finetune", "--base", baseFolder, "--data", data, "--out", adapter, "--steps", "2", "--verbose");

        Assert.Equal(2, code);
        Assert.Contains("   at ", error);
    }

    [Fact]
    public void ValidationNllWithoutAValidationSplitIsRefusedAndPosteriorJsonKept()
    {
        Ok(Finetune());
        Ok(Run("fit-kfac", "--base", baseFolder, "--adapter", adapter, "--data", data));
        File.WriteAllLines(data, File.ReadAllLines(data).Where(l => !l.Contains("\"split\":\"validation\"")));
        bool hadPosterior = File.Exists(Path.Combine(adapter, PosteriorConfig.FileName));

        var (code, error) = Run("tune-prior", "--base", baseFolder, "--adapter", adapter, "--data", data, "--objective", "validation_nll");

        Assert.Equal(2, code);
        AssertOneLine(error, "--objective validation_nll", "no validation split");
        Assert.Equal(hadPosterior, File.Exists(Path.Combine(adapter, PosteriorConfig.FileName)));
    }

    [Fact]
    public void EvaluateRefusesAMisspelledSplitAndKeepsTheReportAndAcceptsEveryMethodItsTableNames()
    {
        Ok(Finetune());
        Ok(Run("fit-kfac", "--base", baseFolder, "--adapter", adapter, "--data", data));
        Ok(Run("tune-prior", "--base", baseFolder, "--adapter", adapter, "--data", data));
        Ok(Run("evaluate", "--base", baseFolder, "--adapter", adapter, "--data", data, "--samples", "20"));
        var report = Path.Combine(adapter, "calibration.json");
        string before = File.ReadAllText(report);

        var (code, error) = Run("evaluate", "--base", baseFolder, "--adapter", adapter, "--data", data, "--splits", "tset");

        Assert.Equal(2, code);
        AssertOneLine(error, "--splits tset", "validation, test, ood");
        Assert.Equal(before, File.ReadAllText(report));

        Ok(Run("evaluate", "--base", baseFolder, "--adapter", adapter, "--data", data, "--samples", "20", "--methods", "laplace_probit"));
        var methods = JsonNode.Parse(File.ReadAllText(report))!["splits"]!["test"]!.AsObject().Select(m => m.Key).Where(m => !m.StartsWith("baseline_"));
        Assert.Equal(["laplace_probit"], methods);
    }

    [Fact]
    public void ATrainingSubsetOfAFileSortedByClassHoldsBothClassesAndIsTheSameEveryTime()
    {
        var rows = Enumerable.Range(0, 200).Select(i => new TaskExample($"row {i}", i < 100 ? "on" : "off", "train")).ToList();

        var subset = TrainingSubset.Take(rows, 20, r => r.Prompt, "examples.jsonl", "train");

        Assert.Equal(20, subset.Count);
        Assert.Contains(subset, r => r.Label == "on");
        Assert.Contains(subset, r => r.Label == "off");
        Assert.Equal(subset, TrainingSubset.Take(rows, 20, r => r.Prompt, "examples.jsonl", "train"));
        Assert.Equal(subset.OrderBy(r => rows.IndexOf(r)), subset); // file order kept
    }

    [Fact]
    public void TwoCommandsRegisteringPosteriorsAtOnceBothEndUpInPosteriorJson()
    {
        Directory.CreateDirectory(adapter);
        var methods = new[] { "blob", "swag", "ensemble", "mc_dropout" };

        Parallel.ForEach(methods, method => SampledPosteriorOutput.Register(adapter, method, $"{method}.safetensors", 3, makeDefault: false));

        var config = PosteriorConfig.Load(Path.Combine(adapter, PosteriorConfig.FileName));
        Assert.Equal(methods.Order(), config.SampledEntries().Keys.Order());
        Assert.Empty(Directory.GetFiles(adapter, "*.tmp"));
    }

}
