using UncertaintyService.Core.Lora;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Temperature scaling (Guo et al. 2017), the post-hoc baseline every posterior should beat: the MAP
/// outputs divided by one scalar T fitted on the validation split by NLL (<c>fit-temperature</c>). One
/// forward row per text, no spread; for a reward adapter the rewards are divided by T, so the
/// Bradley-Terry probability is sigmoid((r_c - r_r) / T).
/// </summary>
public sealed class TemperatureMethod(LoraAdapter adapter, double temperature) : PointEstimateMethod(adapter)
{
    public const string MethodName = "temperature";

    public override string Name => MethodName;
    public double Temperature { get; } = temperature > 0 && double.IsFinite(temperature)
        ? temperature : throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be positive and finite");
    public override double OutputScale => 1 / Temperature;
}
