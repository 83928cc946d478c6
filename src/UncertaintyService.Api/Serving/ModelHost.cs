using Microsoft.Extensions.Options;
using Polly;
using UncertaintyService.Api.Options;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// Loads the configured bundles at start-up onto the configured device, retrying transient I/O, and
/// marks the service ready once loading is done and a one-token forward pass works. A broken bundle
/// or adapter is logged with its file and problem; the rest are still served.
/// </summary>
public sealed class ModelHost(
    IOptions<ServiceOptions> options,
    AdapterRegistry registry,
    ModelPaths paths,
    ILogger<ModelHost> logger) : BackgroundService
{
    private readonly ResiliencePipeline retry = LoadRetry.Create(options.Value.LoadAttempts, TimeSpan.FromMilliseconds(200));

    public Device Device { get; } = SelectDevice(options.Value.Device);

    public ScalarType DType { get; } = SelectDType(options.Value.DType, SelectDevice(options.Value.Device));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Loading is CPU- and disk-bound; keep it off the thread that started the host.
        await Task.Run(() => LoadAll(stoppingToken), stoppingToken);
    }

    private void LoadAll(CancellationToken stoppingToken)
    {
        logger.LogInformation("Loading {Count} bundle(s) from {Root} onto {Device}; /health/ready answers 200 once they can serve",
            options.Value.Bundles.Count, paths.Root, Device);
        foreach (var bundle in options.Value.Bundles)
        {
            stoppingToken.ThrowIfCancellationRequested();
            var folder = paths.Resolve(bundle.Path);
            LoadedBase loadedBase;
            try
            {
                loadedBase = retry.Execute(() => BundleLoader.LoadBase(bundle.Name, folder, DType, Device));
                registry.AddBase(loadedBase);
                logger.LogInformation("Loaded base model of bundle {Bundle} from {Folder} on {Device}", bundle.Name, folder, Device);
            }
            catch (Exception e) when (IsBundleProblem(e))
            {
                logger.LogError("Bundle {Bundle} not loaded: {Problem}", bundle.Name, e.Message);
                registry.RecordFailure($"bundle {bundle.Name}", e.Message);
                continue;
            }

            foreach (var (id, adapterFolder) in BundleLoader.AdapterFolders(folder))
                TryLoadAdapter(loadedBase, id, adapterFolder);
        }

        var snapshot = registry.Current;
        if (snapshot.Adapters.IsEmpty)
        {
            logger.LogError("No adapter loaded; the service stays unready. Failures: {Failures}", snapshot.Failures.Count);
            return;
        }
        foreach (var loaded in snapshot.Bases.Values)
            WarmUp(loaded);
        registry.MarkReady();
        logger.LogInformation("Ready: {Adapters} adapters on {Bases} base models", snapshot.Adapters.Count, snapshot.Bases.Count);
    }

    /// <summary>Loads (or reloads) one adapter; false, with the failure recorded, when its files are broken.</summary>
    public bool TryLoadAdapter(LoadedBase loadedBase, string id, string folder)
    {
        try
        {
            var adapter = LoadAdapter(loadedBase, id, folder);
            registry.Put(adapter);
            logger.LogInformation("Loaded adapter {Adapter} ({Methods}) from {Folder}", id, string.Join(", ", adapter.Methods), folder);
            return true;
        }
        catch (Exception e) when (IsBundleProblem(e))
        {
            logger.LogError("Adapter {Adapter} not loaded: {Problem}", id, e.Message);
            registry.RecordFailure($"adapter {id}", e.Message);
            return false;
        }
    }

    /// <summary>Loads one adapter with retries on transient I/O and checks it can answer (<see cref="AdapterSelfCheck"/>); throws what a broken file throws.</summary>
    public LoadedAdapter LoadAdapter(LoadedBase loadedBase, string id, string folder)
    {
        var adapter = retry.Execute(() => BundleLoader.LoadAdapter(loadedBase, id, folder));
        try
        {
            AdapterSelfCheck.Run(adapter, options.Value.Limits);
            return adapter;
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
    }

    /// <summary>Errors that mean "this bundle's files are unusable", as opposed to bugs.</summary>
    public static bool IsBundleProblem(Exception e) =>
        e is BundleFormatException or SafeTensorsFormatException or IOException or UnauthorizedAccessException;

    private static void WarmUp(LoadedBase loaded)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = loaded.Model.Forward(TokenBatch.Create([[1]], loaded.Model.Device),
            loaded.Model.LmHead is null ? ModelHead.Score : ModelHead.LanguageModel, ForwardContext.Base);
        if (!output.isfinite().all().item<bool>())
            throw new InvalidOperationException($"Bundle {loaded.Bundle}: a one-token forward pass gave non-finite outputs.");
    }

    // auto: bfloat16 on a GPU (half the memory of float32, float32's range); float32 on the CPU, where
    // not every processor has bfloat16 arithmetic.
    private static ScalarType SelectDType(string requested, Device device) => requested switch
    {
        "float16" => ScalarType.Float16,
        "bfloat16" => ScalarType.BFloat16,
        "float64" => ScalarType.Float64,
        "float32" => ScalarType.Float32,
        _ => device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32,
    };

    private static Device SelectDevice(string requested) => requested switch
    {
        "cpu" => CPU,
        "cuda" when cuda.is_available() => CUDA,
        "cuda" => throw new InvalidOperationException(
            "Device 'cuda' was configured but CUDA is not available (this build uses TorchSharp-cpu, or no GPU is visible)."),
        _ => cuda.is_available() ? CUDA : CPU,
    };
}

/// <summary>Resolves configured paths against the model root, refusing anything that leaves it when asked to.</summary>
public sealed class ModelPaths(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Resolve(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(Root, path));

    /// <summary>The full path of <paramref name="relative"/> inside the root, or null if it would leave it.</summary>
    public string? ResolveInside(string relative)
    {
        if (string.IsNullOrWhiteSpace(relative) || Path.IsPathRooted(relative) || relative.Contains('\0'))
            return null;
        var full = Path.GetFullPath(Path.Combine(Root, relative));
        var rootWithSeparator = Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar;
        return full.StartsWith(rootWithSeparator, StringComparison.Ordinal) ? full : null;
    }
}
