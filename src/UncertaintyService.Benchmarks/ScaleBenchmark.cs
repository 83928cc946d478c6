using System.Diagnostics;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.SafeTensors;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Synthetic;
using static TorchSharp.torch;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// Llama-3-8B shapes (hidden 4096, 32 heads, 8 KV heads, MLP 14336, vocabulary 128256) in bfloat16 with
/// random weights, truncated to a few layers, LoRA rank 8 on q and v: peak resident memory above the
/// weights per method, and what loading 8B-shaped factor files costs.
/// dotnet run -c Release --project src/UncertaintyService.Benchmarks -- --scale [--layers 1,2,4] [--kfac-layers 4]
/// (each row runs in its own process: --scale-one LAYERS BATCH METHOD, --scale-factors square|low-rank LAYERS)
/// </summary>
internal static class ScaleBenchmark
{
    private const int PromptTokens = 1024;
    private static readonly long[] Labels = [100, 200, 300, 400];

    private static readonly string[] Methods = ["MAP", "Laplace C = 4", "BLoB N = 10"];

    /// <summary>
    /// Runs every measurement in a fresh process of this program (so no run reuses memory the allocator
    /// mapped for an earlier one) and prints the rows as they arrive.
    /// </summary>
    public static void Run(int[] layerCounts, int kfacLayers)
    {
        Console.WriteLine($"# Scale benchmark ({Environment.ProcessorCount} cores, torch threads {get_num_threads()}, {DateTime.UtcNow:yyyy-MM-dd}), "
            + $"token budget {TokenBudget.Default.MaxTokens}, one process per row");
        Console.WriteLine();
        Console.WriteLine("| layers | batch | method | weights MiB | peak above weights MiB | seconds |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (int layers in layerCounts)
            foreach (int batch in new[] { 1, 8 })
                foreach (int method in Enumerable.Range(0, Methods.Length).Where(m => batch == 1 || Methods[m] != "BLoB N = 10"))
                    Child("--scale-one", layers.ToString(), batch.ToString(), method.ToString());

        Console.WriteLine();
        Console.WriteLine("| factor file | factors | decomposed | load s | peak above start MiB | kept MiB |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        SquareQv(kfacLayers);
        LowRankAll(32, 256);
        Child("--scale-factors", "square", kfacLayers.ToString());
        Child("--scale-factors", "low-rank", "32");
    }

    /// <summary>One row, measured in this (child) process: builds the model, runs one method once.</summary>
    public static void RunOne(int layers, int batch, int method)
    {
        var (model, adapter) = Build(layers);
        long weights = Memory.ResidentMiB();
        var random = new Random(layers);
        List<IReadOnlyList<int>> Prompts(int count, int length) => Enumerable.Range(0, count)
            .Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, length).Select(_ => random.Next(3, model.Config.VocabSize)).ToArray()).ToList();
        var prompts = Prompts(batch, PromptTokens);
        using var laplace = Methods[method] == "Laplace C = 4"
            ? LaplaceLoraPosterior.Create(model, adapter, RandomWeights.KfacFactors(adapter, "(benchmark)", 1000, rank: 16, seed: 3), 1.0)
            : null;
        using var blob = Methods[method] == "BLoB N = 10" ? RandomPosteriors.Blob(adapter, seed: 4) : null;
        Action<List<IReadOnlyList<int>>> predict = Methods[method] switch
        {
            "MAP" => p => MapPredictor.Logits(model, adapter, p, Labels),
            "Laplace C = 4" => p => LaplacePredictor.Moments(laplace!, p, Labels),
            _ => p => SampledPredictor.Predict(blob!, model, p, Labels, 10, 1),
        };
        // A short warm-up first: libtorch's one-time set-up (kernels, thread pools) is not the method's memory.
        predict(Prompts(1, 16));
        Action run = () => predict(prompts);
        // Tensors left to finalizers would be freed during the run and hide part of its peak.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Memory.ResetPeak();
        long before = Memory.ResidentMiB();
        var clock = Stopwatch.StartNew();
        run();
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"| {layers} | {batch} | {Methods[method]} | {weights} | {Memory.PeakMiB() - before} | {seconds:F1} |");
    }

    /// <summary>One factor-file row, in this (child) process: streams and decomposes every factor.</summary>
    public static void LoadFactors(string kind, int layers)
    {
        var (name, path) = kind == "square"
            ? ($"q, v square, {layers} layers", SquareQv(layers))
            : ($"all seven projections rank 256, {layers} layers", LowRankAll(layers, 256));
        GC.Collect();
        Memory.ResetPeak();
        long before = Memory.ResidentMiB();
        var clock = Stopwatch.StartNew();
        FactorLoader loader;
        int decomposed, factors;
        // The reader maps the file; its pages count as resident until it is closed, so "kept" is read after.
        using (var reader = KfacFactorReader.Open(path))
        {
            loader = new FactorLoader(reader, CPU, ScalarType.Float32);
            decomposed = loader.DecomposeAll();
            factors = reader.ModuleNames.Count * 2;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Console.WriteLine($"| {name} | {factors} | {decomposed} | {seconds:F1} | {Memory.PeakMiB() - before} | {Memory.ResidentMiB() - before} |");
        foreach (var basis in loader.All) basis.Dispose();
    }

    // Runs this program again with the given arguments and copies its output through.
    private static void Child(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        // A fixed mmap threshold: every tensor-sized block is mapped and unmapped on its own, so resident
        // memory follows live tensors instead of what glibc's heap kept from earlier allocations.
        start.Environment["MALLOC_MMAP_THRESHOLD_"] = "131072";
        start.Environment["MALLOC_TRIM_THRESHOLD_"] = "131072";
        if (!Environment.ProcessPath!.EndsWith("UncertaintyService.Benchmarks", StringComparison.Ordinal))
            start.ArgumentList.Add(typeof(ScaleBenchmark).Assembly.Location); // launched as "dotnet <dll>"
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        Console.Write(output);
        if (child.ExitCode != 0) Console.WriteLine($"| (child {string.Join(' ', arguments)} exited with {child.ExitCode}) |");
    }

    /// <summary>Llama-3-8B's shapes with the given depth, bfloat16, LoRA r = 8 on q and v.</summary>
    private static (LlamaModel, LoraAdapter) Build(int layers)
    {
        var config = new LlamaConfig
        {
            VocabSize = 128256, HiddenSize = 4096, IntermediateSize = 14336, NumHiddenLayers = layers,
            NumAttentionHeads = 32, NumKeyValueHeads = 8, RopeTheta = 500000, MaxPositionEmbeddings = 8192, RmsNormEps = 1e-5,
        };
        var generator = new Generator(1, CPU);
        var tensors = new Dictionary<string, Tensor>();
        // Straight to bfloat16 one tensor at a time: no float64 copy of 8 GB of weights.
        void Add(string name, double std, params long[] shape)
        {
            using var scope = NewDisposeScope();
            tensors[name] = (randn(shape, ScalarType.Float32, CPU, generator: generator) * std).to(ScalarType.BFloat16).DetachFromDisposeScope();
        }
        void Norm(string name) => tensors[name] = ones(new long[] { 4096 }, ScalarType.BFloat16);
        Add("model.embed_tokens.weight", 0.02, 128256, 4096);
        for (int i = 0; i < layers; i++)
        {
            string p = $"model.layers.{i}";
            Norm($"{p}.input_layernorm.weight");
            Norm($"{p}.post_attention_layernorm.weight");
            Add($"{p}.self_attn.q_proj.weight", 1 / 64.0, 4096, 4096);
            Add($"{p}.self_attn.k_proj.weight", 1 / 64.0, 1024, 4096);
            Add($"{p}.self_attn.v_proj.weight", 1 / 64.0, 1024, 4096);
            Add($"{p}.self_attn.o_proj.weight", 1 / 64.0, 4096, 4096);
            Add($"{p}.mlp.gate_proj.weight", 1 / 64.0, 14336, 4096);
            Add($"{p}.mlp.up_proj.weight", 1 / 64.0, 14336, 4096);
            Add($"{p}.mlp.down_proj.weight", 1 / Math.Sqrt(14336), 4096, 14336);
        }
        Norm("model.norm.weight");
        Add("lm_head.weight", 1 / 64.0, 128256, 4096);
        var model = LlamaModelBuilder.Build(config, new InMemoryTensorSource(tensors), ScalarType.BFloat16, CPU);
        var lora = new LoraConfig
        {
            R = 8, LoraAlpha = 16, TaskType = "CAUSAL_LM",
            TargetModules = System.Text.Json.JsonSerializer.SerializeToElement(new[] { "q_proj", "v_proj" }),
        };
        var adapter = LoraAdapterBuilder.Build("scale", lora, new InMemoryTensorSource(RandomWeights.Lora(lora, model, 2, scale: 0.05)), model);
        return (model, adapter);
    }

    // The factor files, written once to the temp folder and reused (the q, v one is the file the
    // note's "before" figures were measured on).
    private static string SquareQv(int layers) => Cached($"kfac-qv-square-{layers}.safetensors", generator =>
        Enumerable.Range(0, layers).SelectMany(l => new[] { ("q_proj", 4096L), ("v_proj", 1024L) }.SelectMany(m =>
        {
            string p = $"base_model.model.model.layers.{l}.self_attn.{m.Item1}";
            return new[]
            {
                (p + ".lora_A.input_factor", Square(4096, generator)), (p + ".lora_A.output_factor", Square(8, generator)),
                (p + ".lora_B.input_factor", Square(8, generator)), (p + ".lora_B.output_factor", Square(m.Item2, generator)),
            };
        })));

    private static string LowRankAll(int layers, int rank) => Cached($"kfac-all-rank{rank}-{layers}.safetensors", generator =>
        Enumerable.Range(0, layers).SelectMany(l => new[]
        {
            ("self_attn.q_proj", 4096L, 4096L), ("self_attn.k_proj", 4096L, 1024L), ("self_attn.v_proj", 4096L, 1024L), ("self_attn.o_proj", 4096L, 4096L),
            ("mlp.gate_proj", 4096L, 14336L), ("mlp.up_proj", 4096L, 14336L), ("mlp.down_proj", 14336L, 4096L),
        }.SelectMany(m =>
        {
            string p = $"base_model.model.model.layers.{l}.{m.Item1}";
            return new[]
            {
                (p + ".lora_A.input_factor", Tall(m.Item2, rank, generator)), (p + ".lora_A.output_factor", Square(8, generator)),
                (p + ".lora_B.input_factor", Square(8, generator)), (p + ".lora_B.output_factor", Tall(m.Item3, rank, generator)),
            };
        })));

    private static string Cached(string name, Func<Generator, IEnumerable<(string, Tensor)>> factors)
    {
        var path = Path.Combine(Path.GetTempPath(), name);
        if (File.Exists(path)) return path;
        using var scope = NewDisposeScope();
        var generator = new Generator(5, CPU);
        SafeTensorsWriter.Write(path + ".partial", factors(generator).Select(f => KeyValuePair.Create(f.Item1, f.Item2)), new Dictionary<string, string>
        {
            ["format"] = "kfac-v1", ["n_examples"] = "1000", ["fisher"] = "exact", ["positions"] = "expand", ["normalisation"] = "expectation",
        });
        File.Move(path + ".partial", path);
        return path;
    }

    // Full rank (2n columns), so that float32 rounding cannot make an eigenvalue look negative.
    private static Tensor Square(long n, Generator generator)
    {
        var m = randn(new[] { n, 2 * n }, ScalarType.Float32, CPU, generator: generator);
        return (m.matmul(m.T) / (2 * n)).contiguous();
    }

    private static Tensor Tall(long n, int rank, Generator generator) =>
        randn(new[] { n, (long)rank }, ScalarType.Float32, CPU, generator: generator) / Math.Sqrt(rank);
}

/// <summary>Resident memory of this process from /proc (Linux): now, and the peak since the last reset.</summary>
internal static partial class Memory
{
    /// <summary>Resident size after handing freed heap back to the system, so "before" counts live memory only.</summary>
    public static long ResidentMiB()
    {
        MallocTrim(0);
        return Read("VmRSS");
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    public static long PeakMiB() => Read("VmHWM");

    /// <summary>Writing 5 to clear_refs resets VmHWM to the current resident size (Linux 4.0+).</summary>
    public static void ResetPeak()
    {
        MallocTrim(0);
        File.WriteAllText("/proc/self/clear_refs", "5");
    }

    private static long Read(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
}
