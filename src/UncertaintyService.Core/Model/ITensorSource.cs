using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>Named tensors to build a model or adapter from: a safetensors checkpoint, or tensors in memory.</summary>
public interface ITensorSource
{
    /// <summary>The file or folder, for error messages.</summary>
    string Location { get; }

    IReadOnlyCollection<string> Names { get; }

    long[] Shape(string name);

    /// <summary>A fresh tensor, converted to <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    Tensor Load(string name, ScalarType dtype, Device device);
}

/// <summary>Tensors already in memory (random test models, freshly trained adapters).</summary>
public sealed class InMemoryTensorSource(IReadOnlyDictionary<string, Tensor> tensors, string location = "(in memory)") : ITensorSource
{
    public string Location { get; } = location;

    public IReadOnlyCollection<string> Names => tensors.Keys.ToList();

    public long[] Shape(string name) => tensors[name].shape;

    public Tensor Load(string name, ScalarType dtype, Device device) =>
        tensors[name].to(dtype, device, copy: true).detach();
}
