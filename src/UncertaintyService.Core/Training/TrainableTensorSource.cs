using TorchSharp.Modules;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>
/// Hands out every tensor as a TorchSharp <see cref="Parameter"/> requiring gradients, so a model or
/// adapter built from it can be trained by TorchSharp's optimisers.
/// </summary>
public sealed class TrainableTensorSource(ITensorSource inner) : ITensorSource
{
    public string Location => inner.Location;

    public IReadOnlyCollection<string> Names => inner.Names;

    public long[] Shape(string name) => inner.Shape(name);

    public Tensor Load(string name, ScalarType dtype, Device device) => new Parameter(inner.Load(name, dtype, device), requires_grad: true);
}
