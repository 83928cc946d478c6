using System.CommandLine;
using System.Diagnostics;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Synthetic;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>generate-demo</c>: writes the deterministic generated demo bundle and checks that it loads.</summary>
internal static class GenerateDemoCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Bundle folder to write (base/ and adapters/ go inside).", Required = true };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "The Llama 2 SentencePiece tokenizer.model to copy into base/.", Required = true };
        var hidden = new Option<int>("--hidden-size") { Description = "Hidden size of the generated model.", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random tensor.", DefaultValueFactory = _ => 20261122UL };

        var command = new Command("generate-demo", "Write a small generated bundle (random weights, random K-FAC factors) and verify it loads.")
        {
            output, tokenizer, hidden, seed,
        };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!.FullName;
            var tokenizerFile = parse.GetValue(tokenizer)!;
            if (!tokenizerFile.Exists)
            {
                Console.Error.WriteLine($"{tokenizerFile.FullName}: file not found");
                return 2;
            }
            var clock = Stopwatch.StartNew();
            DemoBundle.Write(folder, tokenizerFile.FullName, new DemoBundle.Options { HiddenSize = parse.GetValue(hidden), Seed = parse.GetValue(seed) });
            var loaded = BundleLoader.LoadBase("demo", folder, ScalarType.Float32, CPU);
            foreach (var (id, adapterFolder) in BundleLoader.AdapterFolders(folder))
            {
                var adapter = BundleLoader.LoadAdapter(loaded, id, adapterFolder);
                Console.WriteLine($"{id}: {adapter.Adapter.ParameterCount} LoRA parameters, labels {string.Join(", ", adapter.Task.Labels)}, sha256 {adapter.Sha256[..12]}");
            }
            long bytes = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Console.WriteLine($"wrote {folder} ({bytes / 1e6:F1} MB) in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }
}
