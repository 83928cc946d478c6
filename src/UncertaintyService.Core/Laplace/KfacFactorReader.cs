using System.Text.Json;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// An open <c>kfac.safetensors</c> read one factor at a time from the memory-mapped file: each
/// factor is materialised (in its stored dtype) only while it is used, then freed, so loading
/// 8B-sized factors never holds more than one of them beside what has been kept.
/// </summary>
public sealed class KfacFactorReader : IKfacFactorSource, IDisposable
{
    private readonly SafeTensorsFile file;
    private readonly IReadOnlyDictionary<string, string> sharedInputs;

    private KfacFactorReader(string path, SafeTensorsFile file, KfacMetadata metadata, IReadOnlyCollection<string> modules,
        IReadOnlyDictionary<string, string> sharedInputs)
    {
        FilePath = path;
        this.file = file;
        Metadata = metadata;
        ModuleNames = modules;
        this.sharedInputs = sharedInputs;
    }

    public string FilePath { get; }
    public KfacMetadata Metadata { get; }
    public IReadOnlyCollection<string> ModuleNames { get; }

    /// <summary>Opens the file and checks its header and keys; no factor is read yet.</summary>
    public static KfacFactorReader Open(string path)
    {
        if (!File.Exists(path)) throw new BundleFormatException(path, null, "file not found");
        var file = SafeTensorsFile.Open(path);
        try
        {
            var metadata = KfacFactorFile.ReadMetadata(file.Metadata, path);
            var shared = ReadSharedInputs(file.Metadata, path);
            var modules = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var entry in file.Entries)
            {
                string module = entry.Name.EndsWith(KfacFactorFile.InputSuffix, StringComparison.Ordinal) ? entry.Name[..^KfacFactorFile.InputSuffix.Length]
                    : entry.Name.EndsWith(KfacFactorFile.OutputSuffix, StringComparison.Ordinal) ? entry.Name[..^KfacFactorFile.OutputSuffix.Length]
                    : throw new BundleFormatException(path, entry.Name,
                        $"unknown key: expected '<module>{KfacFactorFile.InputSuffix}' or '<module>{KfacFactorFile.OutputSuffix}'");
                modules.Add(module);
            }
            modules.UnionWith(shared.Keys);
            foreach (var module in modules)
            {
                if (!file.Contains(module + KfacFactorFile.OutputSuffix))
                    throw new BundleFormatException(path, module + KfacFactorFile.OutputSuffix, "missing: every module needs both factors");
                bool hasOwn = file.Contains(module + KfacFactorFile.InputSuffix);
                if (hasOwn && shared.ContainsKey(module))
                    throw new BundleFormatException(path, $"__metadata__.{KfacFactorFile.SharedInputsKey}.{module}", "the module has its own input factor too");
                if (!hasOwn && !shared.ContainsKey(module))
                    throw new BundleFormatException(path, module + KfacFactorFile.InputSuffix, "missing: every module needs both factors");
                if (shared.TryGetValue(module, out var owner) && !file.Contains(owner + KfacFactorFile.InputSuffix))
                    throw new BundleFormatException(path, $"__metadata__.{KfacFactorFile.SharedInputsKey}.{module}",
                        $"names '{owner}', which has no stored input factor");
            }
            return new KfacFactorReader(path, file, metadata, modules, shared);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public string KeyOf(string module, bool input) =>
        input ? sharedInputs.GetValueOrDefault(module, module) + KfacFactorFile.InputSuffix : module + KfacFactorFile.OutputSuffix;

    public T With<T>(string key, Func<Tensor, T> use)
    {
        using var factor = file.Load(key);
        return use(factor);
    }

    public void Dispose() => file.Dispose();

    private static IReadOnlyDictionary<string, string> ReadSharedInputs(IReadOnlyDictionary<string, string> header, string path)
    {
        if (!header.TryGetValue(KfacFactorFile.SharedInputsKey, out var json)) return new Dictionary<string, string>();
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(json)
                ?? throw new BundleFormatException(path, "__metadata__." + KfacFactorFile.SharedInputsKey, "is null");
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(path, "__metadata__." + KfacFactorFile.SharedInputsKey, $"is not a JSON object of module names: {e.Message}");
        }
    }
}
