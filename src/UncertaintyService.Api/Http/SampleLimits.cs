using UncertaintyService.Api.Options;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Http;

/// <summary>Which sample counts a method accepts under the configured limits, the same for every endpoint.</summary>
public static class SampleLimits
{
    /// <summary>What is wrong with <paramref name="samples"/> for <paramref name="method"/>, or null.</summary>
    public static string? Problem(IPredictiveMethod method, int samples, LimitOptions limits)
    {
        if (method.Samples != SampleMeaning.WeightSamples)
            return samples < 1 || samples > limits.MaxSamples ? $"{samples} is outside 1..{limits.MaxSamples}" : null;
        if (samples < 0 || samples > limits.MaxWeightSamples)
            return $"{samples} is outside 0..{limits.MaxWeightSamples} for {method.Name} (each sample is a forward pass; 0 means the mean weights alone)";
        return method.SamplesError(samples) is { } error ? $"{samples}: {error}" : null;
    }

    /// <summary>The samples a response reports: what the method used (0 for a point estimate).</summary>
    public static int Reported(IPredictiveMethod method, int samples) => method.Samples == SampleMeaning.None ? 0 : samples;
}
