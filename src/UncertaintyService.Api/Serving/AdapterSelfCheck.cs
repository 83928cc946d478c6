using UncertaintyService.Api.Http;
using UncertaintyService.Api.Options;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// What an adapter must show before it is served (at start-up and by the admin route alike): every
/// method it lists answers one short prompt with finite moments, and every method's default sample
/// count is one a request may ask for. Files that read well can still describe an adapter that cannot
/// answer (a lora_alpha of 1e300, a default of a billion samples); those are refused here, by name,
/// and the version already served stays.
/// </summary>
public static class AdapterSelfCheck
{
    private const string Probe = "Is this a short question?";

    public static void Run(LoadedAdapter adapter, LimitOptions limits)
    {
        string posterior = Path.Combine(adapter.Folder, PosteriorConfig.FileName);
        var ids = adapter.Base.Tokenizer.EncodePrompt(Probe);
        var outputs = adapter.LabelTokenIds.Select(i => (long)i).ToArray();
        foreach (var (name, method) in adapter.Predictives)
        {
            int samples = adapter.DefaultSamples(name);
            if (SampleLimits.Problem(method, samples, limits) is { } problem)
                throw new BundleFormatException(posterior, "samples", $"method {name}: the default sample count {problem}; requests without samples would all be refused");
            int probeSamples = method.Samples == SampleMeaning.None ? 0 : Math.Max(1, Math.Min(samples, 2));
            GroupMoments moments;
            try
            {
                moments = PredictiveEngine.Run(adapter.Base.Model, [new PredictiveGroup(method, [ids], outputs, probeSamples, Seed: 1)]).Groups[0]!;
            }
            catch (Exception e) when (e is not BundleFormatException)
            {
                throw new BundleFormatException(adapter.Folder, null, $"method {name} fails on a short prompt: {e.Message.Split('\n')[0]}", e);
            }
            bool finite = moments.Mean.All(double.IsFinite) && (moments.Covariance is null || moments.Covariance.Cast<double>().All(double.IsFinite));
            if (!finite)
                throw new BundleFormatException(adapter.Folder, null, $"method {name} gives non-finite logits on a short prompt; check the LoRA scale (lora_alpha / r) and the weights");
        }
    }
}
