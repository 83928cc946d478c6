using TorchSharp;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// A Hugging Face checkpoint folder: either sharded (<c>model.safetensors.index.json</c> plus the shards
/// its weight_map names) or a single <c>model.safetensors</c>. Every shard is opened and cross-checked
/// against the index up front, so a partial download fails at open time naming what is missing.
/// </summary>
public sealed class SafeTensorsCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, SafeTensorsFile> _fileByTensor;
    private readonly string _describedBy;

    private SafeTensorsCheckpoint(string folder, string describedBy, List<SafeTensorsFile> files,
        List<KeyValuePair<string, SafeTensorsFile>> tensors)
    {
        Folder = folder;
        _describedBy = describedBy;
        _files = files;
        _fileByTensor = new Dictionary<string, SafeTensorsFile>(tensors, StringComparer.Ordinal);
        Names = tensors.Select(t => t.Key).ToList().AsReadOnly();
    }

    public string Folder { get; }

    /// <summary>The file that lists the tensors: <c>model.safetensors</c>, or the index of a sharded checkpoint.</summary>
    public string DescribedBy => _describedBy;

    /// <summary>Every tensor: in weight_map order when sharded, in header order otherwise.</summary>
    public IReadOnlyCollection<string> Names { get; }

    /// <exception cref="FileNotFoundException">The folder holds neither an index nor model.safetensors.</exception>
    /// <exception cref="SafeTensorsFormatException">The index, a shard, or their agreement is broken.</exception>
    public static SafeTensorsCheckpoint Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var indexPath = Path.Combine(folder, SafeTensorsIndex.FileName);
        if (File.Exists(indexPath))
        {
            return OpenSharded(folder, indexPath);
        }

        var singlePath = Path.Combine(folder, SingleFileName);
        if (!File.Exists(singlePath))
        {
            throw new FileNotFoundException(
                $"No safetensors checkpoint in '{folder}': expected '{SafeTensorsIndex.FileName}' or '{SingleFileName}'",
                singlePath);
        }
        var file = SafeTensorsFile.Open(singlePath);
        return new SafeTensorsCheckpoint(folder, singlePath, [file],
            file.Entries.Select(e => new KeyValuePair<string, SafeTensorsFile>(e.Name, file)).ToList());
    }

    private static SafeTensorsCheckpoint OpenSharded(string folder, string indexPath)
    {
        var weightMap = SafeTensorsIndex.ReadWeightMap(indexPath);
        var shards = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            var tensors = new List<KeyValuePair<string, SafeTensorsFile>>(weightMap.Count);
            foreach (var (tensorName, shardName) in weightMap)
            {
                if (!shards.TryGetValue(shardName, out var shard))
                {
                    var shardPath = Path.Combine(folder, shardName);
                    if (!File.Exists(shardPath))
                    {
                        throw new SafeTensorsFormatException(indexPath, tensorName,
                            $"weight_map puts it in shard '{shardName}', which does not exist in '{folder}'");
                    }
                    shard = SafeTensorsFile.Open(shardPath);
                    shards.Add(shardName, shard);
                }
                if (!shard.Contains(tensorName))
                {
                    throw new SafeTensorsFormatException(indexPath, tensorName,
                        $"weight_map puts it in shard '{shardName}', but that shard has no such tensor");
                }
                tensors.Add(new(tensorName, shard));
            }

            // A tensor the index does not list would be silently unreachable, or shadow the listed copy.
            var mapped = weightMap.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            foreach (var (shardName, shard) in shards)
            {
                foreach (var entry in shard.Entries)
                {
                    if (!mapped.TryGetValue(entry.Name, out var listed))
                    {
                        throw new SafeTensorsFormatException(indexPath, entry.Name,
                            $"present in shard '{shardName}' but not listed in weight_map");
                    }
                    if (listed != shardName)
                    {
                        throw new SafeTensorsFormatException(indexPath, entry.Name,
                            $"present in shard '{shardName}' but weight_map puts it in shard '{listed}'");
                    }
                }
            }

            return new SafeTensorsCheckpoint(folder, indexPath, shards.Values.ToList(), tensors);
        }
        catch
        {
            foreach (var shard in shards.Values)
            {
                shard.Dispose();
            }
            throw;
        }
    }

    public bool Contains(string name) => _fileByTensor.ContainsKey(name);

    /// <summary>The tensor's entry; its offsets are relative to the data region of the shard holding it.</summary>
    /// <exception cref="SafeTensorsFormatException">The checkpoint has no tensor of that name.</exception>
    public TensorEntry GetEntry(string name) => FileFor(name).GetEntry(name);

    /// <inheritdoc cref="SafeTensorsFile.Load"/>
    public torch.Tensor Load(string name, torch.ScalarType? dtype = null, torch.Device? device = null) =>
        FileFor(name).Load(name, dtype, device);

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private SafeTensorsFile FileFor(string name) =>
        _fileByTensor.TryGetValue(name, out var file)
            ? file
            : throw new SafeTensorsFormatException(_describedBy, name, $"no such tensor in the checkpoint in '{Folder}'");
}
