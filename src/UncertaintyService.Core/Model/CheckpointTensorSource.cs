using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>A safetensors checkpoint (one file or shards) seen as an <see cref="ITensorSource"/>.</summary>
public sealed class CheckpointTensorSource(SafeTensorsCheckpoint checkpoint) : ITensorSource
{
    // The file, not the folder: errors must name a file the user can open (the index says which shard holds a tensor).
    public string Location => checkpoint.DescribedBy;

    public IReadOnlyCollection<string> Names => checkpoint.Names;

    public long[] Shape(string name) => checkpoint.GetEntry(name).Shape;

    public Tensor Load(string name, ScalarType dtype, Device device) => checkpoint.Load(name, dtype, device);
}

/// <summary>One safetensors file seen as an <see cref="ITensorSource"/>.</summary>
public sealed class FileTensorSource(SafeTensorsFile file) : ITensorSource
{
    public string Location => file.FilePath;

    public IReadOnlyCollection<string> Names => file.Entries.Select(e => e.Name).ToList();

    public long[] Shape(string name) => file.GetEntry(name).Shape;

    public Tensor Load(string name, ScalarType dtype, Device device) => file.Load(name, dtype, device);
}
