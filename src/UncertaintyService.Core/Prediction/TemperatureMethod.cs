using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Temperature scaling (Guo et al. 2017), the post-hoc baseline every posterior should beat: the MAP
/// outputs divided by one scalar T fitted on the validation split by NLL (<c>fit-temperature</c>). One
/// forward row per text, no spread; for a reward adapter the rewards are divided by T, so the
/// Bradley-Terry probability is sigmoid((r_c - r_r) / T).
/// </summary>
public sealed class TemperatureMethod(LoraAdapter adapter, double temperature) : IForwardSampler
{
    public const string MethodName = "temperature";

    public string Name => MethodName;
    public LoraAdapter Adapter { get; } = adapter;
    public double Temperature { get; } = temperature > 0 && double.IsFinite(temperature)
        ? temperature : throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be positive and finite");
    public double? PriorPrecision => null;
    public SampleMeaning Samples => SampleMeaning.None;
    public double OutputScale => 1 / Temperature;

    public long PassesPerText(int outputs, int samples) => 1;
    public string? SamplesError(int samples) => null;
    public int Rows(int samples) => 1;
    public bool IsSampled(int samples) => false;
    public IReadOnlyDictionary<string, RowLoraWeights>? Draw(int samples, Generator generator, ScalarType dtype, Device device) => null;
    public IReadOnlyDictionary<string, Tensor>? SavedRows(int samples, ScalarType dtype, Device device) => null;
    public double RowDropout(int samples) => 0;
}
