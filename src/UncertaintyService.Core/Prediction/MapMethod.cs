using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>The point-estimate baseline: one forward row per text with the adapter's own weights, no spread.</summary>
public sealed class MapMethod(LoraAdapter adapter) : IForwardSampler
{
    public const string MethodName = "map";

    public string Name => MethodName;
    public LoraAdapter Adapter { get; } = adapter;
    public double? PriorPrecision => null;
    public SampleMeaning Samples => SampleMeaning.None;

    public long PassesPerText(int outputs, int samples) => 1;
    public string? SamplesError(int samples) => null;
    public int Rows(int samples) => 1;
    public bool IsSampled(int samples) => false;
    public IReadOnlyDictionary<string, RowLoraWeights>? Draw(int samples, Generator generator, ScalarType dtype, Device device) => null;
    public IReadOnlyDictionary<string, Tensor>? SavedRows(int samples, ScalarType dtype, Device device) => null;
    public double RowDropout(int samples) => 0;
}
