using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Laplace;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>fit-kfac</c>: K-FAC factors of the adapter's LoRA matrices over the training data, written to kfac.safetensors.</summary>
internal static class FitKfacCommand
{
    /// <summary>Square factors beyond this size would not fit in memory; such sides need --rank-k.</summary>
    private const long LargestSquareSide = 8192;

    /// <summary>
    /// Above this side the default is low-rank: a square 4096-wide factor is 64 MiB in float32 and a
    /// 47 s float64 eigendecomposition per layer at load; rank 256 keeps 4 MiB and loads in well under a second.
    /// </summary>
    public const long SquareByDefaultUpTo = 2048;

    /// <summary>The rank kept by default for sides above <see cref="SquareByDefaultUpTo"/>.</summary>
    public const int DefaultRank = 256;

    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var adapter = CommonOptions.Adapter();
        var data = CommonOptions.Data();
        var fisher = new Option<FisherKind>("--fisher") { Description = "exact (GGN), mc (sampled labels) or empirical (true labels).", DefaultValueFactory = _ => FisherKind.Exact };
        var positions = new Option<PositionHandling>("--positions") { Description = "expand, reduce or last (Eschenhagen et al. 2023).", DefaultValueFactory = _ => PositionHandling.Expand };
        var rankK = new Option<int?>("--rank-k") { Description = $"Keep the large sides as rank-k square roots (incremental SVD); default square up to {SquareByDefaultUpTo} wide, rank {DefaultRank} above." };
        var square = new Option<bool>("--square") { Description = $"Keep every factor square even above {SquareByDefaultUpTo} wide (at most {LargestSquareSide})." };
        var trainSize = CommonOptions.TrainSize();
        var batchSize = CommonOptions.BatchSize(8);
        var maxTokens = CommonOptions.MaxTokens();
        var seed = CommonOptions.Seed();
        var command = new Command("fit-kfac", "Fit the Kronecker factors of the Laplace posterior on the training split.")
        {
            baseFolder, adapter, data, fisher, positions, rankK, square, trainSize, batchSize, maxTokens, seed,
        };
        command.SetAction(parse =>
        {
            var pipeline = LoadedPipeline.Load(parse.GetValue(baseFolder)!.FullName, parse.GetValue(adapter)!.FullName, parse.GetValue(data)!.FullName);
            var k = parse.GetValue(rankK);
            long widest = pipeline.Adapter.Modules.Max(m => Math.Max(m.A.shape[1], m.B.shape[0]));
            if (k is not null && parse.GetValue(square))
            {
                AnsiConsole.MarkupLine("[red]--rank-k and --square contradict each other; pass one.[/]");
                return 2;
            }
            if (k is null && !parse.GetValue(square) && widest > SquareByDefaultUpTo)
            {
                k = DefaultRank;
                AnsiConsole.MarkupLine($"factors {widest} wide: keeping rank {k} (pass --square or --rank-k to choose)");
            }
            var tooLarge = pipeline.Adapter.Modules.Where(m => Math.Max(m.A.shape[1], m.B.shape[0]) > LargestSquareSide).Select(m => m.ModulePath).ToList();
            if (k is null && tooLarge.Count > 0)
            {
                AnsiConsole.MarkupLine($"[red]{string.Join(", ", tooLarge)} have a side over {LargestSquareSide}; pass --rank-k to keep it low-rank.[/]");
                return 2;
            }
            var (prompts, labels) = pipeline.Encode("train", parse.GetValue(trainSize), parse.GetValue(maxTokens));
            var options = new KfacFitOptions(parse.GetValue(fisher), parse.GetValue(positions), k, parse.GetValue(batchSize), parse.GetValue(seed));
            var output = Path.Combine(pipeline.AdapterFolder, KfacFactorFile.FileName);
            AnsiConsole.MarkupLine($"[bold]fit-kfac[/] {prompts.Count} examples, fisher {options.Fisher}, positions {options.Positions}, {(k is null ? "square" : $"rank {k}")}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = ConsoleProgress.Run("accumulating", prompts.Count, progress =>
                KfacFitter.Fit(pipeline.Model, pipeline.Adapter, prompts, labels, pipeline.ClassIndices, options, output,
                    new Progress<int>(done => progress.Report((done, double.NaN)))));
            AnsiConsole.MarkupLine($"wrote {output}: {result.Factors.Modules.Count} LoRA matrices, N = {result.Examples}, "
                + $"training log-likelihood {result.LogLikelihood:F2}, {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        });
        return command;
    }
}
