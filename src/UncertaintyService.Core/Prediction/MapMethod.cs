using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>A point estimate: one forward row per text with the adapter's own weights, no spread (MAP, and MAP rescaled).</summary>
public abstract class PointEstimateMethod(LoraAdapter adapter) : IForwardSampler
{
    public abstract string Name { get; }
    public LoraAdapter Adapter { get; } = adapter;
    public double? PriorPrecision => null;
    public SampleMeaning Samples => SampleMeaning.None;
    public virtual double OutputScale => 1;

    public long PassesPerText(int outputs, int samples) => 1;
    public string? SamplesError(int samples) => null;
    public int Rows(int samples) => 1;
    public bool IsSampled(int samples) => false;
    public IReadOnlyDictionary<string, RowLoraWeights>? Draw(int samples, Generator generator, ScalarType dtype, Device device) => null;
    public IReadOnlyDictionary<string, Tensor>? SavedRows(int samples, ScalarType dtype, Device device) => null;
    public double RowDropout(int samples) => 0;
}

/// <summary>The point-estimate baseline: the adapter's MAP weights as they are.</summary>
public sealed class MapMethod(LoraAdapter adapter) : PointEstimateMethod(adapter)
{
    public const string MethodName = "map";

    public override string Name => MethodName;
}
