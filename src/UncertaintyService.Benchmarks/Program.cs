using UncertaintyService.Benchmarks;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Laplace;
using static TorchSharp.torch;

// dotnet run -c Release --project src/UncertaintyService.Benchmarks [-- --quick]
// Prints markdown tables; every ratio compares numbers measured in this one run.
bool quick = args.Contains("--quick");
if (args.Contains("--load"))
{
    // dotnet run -c Release --project src/UncertaintyService.Benchmarks -- --load
    int seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(60);
    await LoadTest.Run(clients: 64, duration: TimeSpan.FromSeconds(seconds));
    return;
}
if (args.Contains("--mixed") || args.Contains("--single"))
{
    // dotnet run -c Release --project src/UncertaintyService.Benchmarks -- --mixed [--seconds 20]
    // ... -- --single --url http://127.0.0.1:PORT (an already running service, e.g. an earlier build)
    int seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(20);
    var url = args.SkipWhile(a => a != "--url").Skip(1).FirstOrDefault();
    var mixedRows = url is null
        ? await MixedTrafficBenchmark.Run(clients: 32, TimeSpan.FromSeconds(seconds))
        : await MixedTrafficBenchmark.Single(new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(120) }, 32, TimeSpan.FromSeconds(seconds), url);
    MixedTrafficBenchmark.Print(mixedRows);
    return;
}
if (args.Contains("--outcomes"))
{
    // dotnet run -c Release --project src/UncertaintyService.Benchmarks -- --outcomes [--seconds 20] [--rounds 3] [--map-only] [--postgres "Host=...;Username=...;Database=..."]
    int seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(20);
    int rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(3);
    await OutcomeStoreOverhead.Run(32, TimeSpan.FromSeconds(seconds), args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault(), rounds,
        args.Contains("--map-only"));
    return;
}
if (args.Contains("--drift"))
{
    // dotnet run -c Release --project src/UncertaintyService.Benchmarks -- --drift --data artifacts/data/spam/examples.jsonl
    await DriftWalkthrough.Run(args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault() ?? "artifacts/data/spam/examples.jsonl");
    return;
}
if (args.Contains("--admission"))
{
    await AdmissionBenchmark.Run();
    return;
}
if (args is ["--scale-one", var layers, var batch, var method])
{
    ScaleBenchmark.RunOne(int.Parse(layers), int.Parse(batch), int.Parse(method));
    return;
}
if (args is ["--scale-factors", var kind, var factorLayers])
{
    ScaleBenchmark.LoadFactors(kind, int.Parse(factorLayers));
    return;
}
if (args.Contains("--scale"))
{
    int[] Ints(string flag, int[] fallback) => args.SkipWhile(a => a != flag).Skip(1).Select(v => v.Split(',').Select(int.Parse).ToArray()).FirstOrDefault(fallback);
    ScaleBenchmark.Run(Ints("--layers", [1, 2, 4]), Ints("--kfac-layers", [4])[0]);
    return;
}
int repetitions = quick ? 3 : 7;
Console.WriteLine($"# UncertaintyService benchmark ({Environment.ProcessorCount} cores, torch threads {get_num_threads()}, {DateTime.UtcNow:yyyy-MM-dd})");

var demoFolder = Path.Combine(AppContext.BaseDirectory, "models", "demo");
var demo = BundleLoader.LoadBase("demo", demoFolder, ScalarType.Float32, CPU);
var (adapterId, adapterFolder) = BundleLoader.AdapterFolders(demoFolder).First(a => a.Id == "wordnet-mcq");
var demoAdapter = BundleLoader.LoadAdapter(demo, adapterId, adapterFolder);
var demoFactors = KfacFactorFile.Load(Path.Combine(adapterFolder, demoAdapter.Posterior.KfacFile));
var rows = PredictiveBenchmark.Run($"demo ({demo.Model.Config.HiddenSize} hidden, {demo.Model.Config.NumHiddenLayers} layers)",
    demo.Model, demoAdapter.Adapter, demoFactors, 32, [2, 4, 8], [1, 8, 32], repetitions).ToList();

var (slice, sliceAdapter, sliceFactors) = PredictiveBenchmark.SevenBillionSlice();
rows.AddRange(PredictiveBenchmark.Run("Llama-7B layer slice", slice, sliceAdapter, sliceFactors, 16, [2, 4, 8], quick ? [1, 8] : [1, 8, 32], quick ? 1 : 3));

Console.WriteLine();
Console.WriteLine("| model | C | batch | MAP ms | Laplace ms | Laplace / MAP | bound 1 + C |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
foreach (var r in rows)
    Console.WriteLine($"| {r.Model} | {r.Classes} | {r.Batch} | {r.MapMs:F1} | {r.LaplaceMs:F1} | {r.Ratio:F2} | {1 + r.Classes} |");

// Every posterior at N = 10 weight samples (ensemble: 10 members), C = 4.
var sampledRows = SampledBenchmark.Run($"demo ({demo.Model.Config.HiddenSize} hidden)", demo.Model, demoAdapter.Adapter, demoFactors, 32, 4,
    [1, 8], 10, repetitions).ToList();
sampledRows.AddRange(SampledBenchmark.Run("Llama-7B layer slice", slice, sliceAdapter, sliceFactors, 16, 4, [1, 8], 10, quick ? 1 : 3));
Console.WriteLine();
Console.WriteLine("| model | batch | method | passes per prompt | ms | / MAP |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
foreach (var r in sampledRows)
    Console.WriteLine($"| {r.Model} | {r.Batch} | {r.Method} | {r.Passes} | {r.Ms:F1} | {r.Ratio:F2} |");

var throughput = await ThroughputBenchmark.Run([1, 8, 32], TimeSpan.FromSeconds(quick ? 5 : 15));
Console.WriteLine();
Console.WriteLine("| clients | batched req/s | unbatched req/s | batched / unbatched | batched p50 ms | unbatched p50 ms |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
foreach (var r in throughput)
    Console.WriteLine($"| {r.Clients} | {r.BatchedPerSecond:F1} | {r.UnbatchedPerSecond:F1} | {r.Ratio:F2} | {r.BatchedP50Ms:F0} | {r.UnbatchedP50Ms:F0} |");
