using System.Security.Cryptography;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Http;

/// <summary>Checks a classify request against the adapter and the limits, and turns it into a job. Every problem is reported, by field.</summary>
public sealed class ClassifyValidator(AdapterRegistry registry, LimitOptions limits)
{
    public static readonly string[] CovarianceModes = ["full", "diag", "none"];
    public static readonly string[] Approximations = ["mc", "probit"];
    public static readonly string[] Predictions = ["predictive", "map"];

    /// <summary>The job holds a lease on the adapter version it was validated against; the worker ends it.</summary>
    public (ClassificationJob Job, AnswerShape Shape) Validate(ClassifyRequest request, CancellationToken cancellation)
    {
        if (string.IsNullOrWhiteSpace(request.Adapter))
            throw ServiceException.Invalid("adapter", "is required");
        var lease = registry.Lease(request.Adapter) ?? throw AdapterNotFound(request.Adapter);
        try
        {
            return Validate(request, lease, cancellation);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    public static ServiceException AdapterNotFound(string id) => new(ErrorKind.NotFound, "Adapter not found",
        $"adapter: '{id}' is not loaded; GET /v1/adapters lists the adapters",
        new Dictionary<string, string[]> { ["adapter"] = [$"'{id}' is not loaded"] });

    private (ClassificationJob Job, AnswerShape Shape) Validate(ClassifyRequest request, AdapterLease lease, CancellationToken cancellation)
    {
        var adapter = lease.Adapter;

        var errors = new FieldErrors();
        var reader = new PromptReader(limits, errors);
        void Fail(string field, string problem) => errors.Add(field, problem);

        if (adapter.Task.Kind != "classification")
            Fail("adapter", $"'{adapter.Id}' is a {adapter.Task.Kind} adapter; use POST /v1/reward");
        var prompts = reader.Texts(request, adapter);
        var tokens = prompts.Select((text, i) => reader.Tokenize(adapter, text, i)).ToList();

        var (labels, classIndices) = reader.Labels(request, adapter);
        string method = request.Method ?? adapter.Posterior.Method;
        int samples = request.Samples ?? adapter.DefaultSamples(method);
        if (!adapter.Predictives.TryGetValue(method, out var predictive))
            Fail("method", $"'{method}' is not available for '{adapter.Id}'; available: {string.Join(", ", adapter.Methods)}");
        else if (SampleLimits.Problem(predictive, samples, limits) is { } problem)
            Fail("samples", problem);
        string covariance = request.Covariance ?? "full";
        if (!CovarianceModes.Contains(covariance))
            Fail("covariance", $"'{covariance}' is not one of {string.Join(", ", CovarianceModes)}");
        string approximation = request.Approximation ?? "mc";
        if (!Approximations.Contains(approximation))
            Fail("approximation", $"'{approximation}' is not one of {string.Join(", ", Approximations)}");
        string prediction = request.Prediction ?? "predictive";
        if (!Predictions.Contains(prediction))
            Fail("prediction", $"'{prediction}' is not one of {string.Join(", ", Predictions)}");
        var abstention = Abstain(request, adapter, method, Fail);

        errors.ThrowIfAny();

        ulong seed = request.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 11;
        var job = new ClassificationJob(lease, predictive!, tokens!, labels, classIndices, samples, seed, cancellation);
        RequestCostLimit.Check(job, limits);
        return (job, new AnswerShape(Enum.Parse<CovarianceMode>(covariance, ignoreCase: true), approximation, prediction, abstention, prompts));
    }

    // min_confidence as given; target_accuracy through the risk-coverage of the method's test-split reliability bins.
    private static Abstention? Abstain(ClassifyRequest request, LoadedAdapter adapter, string method, Action<string, string> fail)
    {
        if (request.MinConfidence is not null && request.TargetAccuracy is not null)
        {
            fail("min_confidence", "give at most one of min_confidence and target_accuracy");
            return null;
        }
        if (request.MinConfidence is { } minimum)
        {
            if (minimum is < 0 or > 1 || double.IsNaN(minimum)) fail("min_confidence", $"{minimum} is not in [0, 1]");
            return new Abstention("min_confidence", minimum, null, null);
        }
        if (request.TargetAccuracy is not { } target) return null;
        if (target is <= 0 or > 1 || double.IsNaN(target))
        {
            fail("target_accuracy", $"{target} is not in (0, 1]");
            return null;
        }
        var bins = adapter.Calibration?.Splits.GetValueOrDefault("test")?.GetValueOrDefault(method)?.Bins;
        if (bins is not { Count: > 0 })
        {
            fail("target_accuracy", $"'{adapter.Id}' has no test-split reliability bins for method '{method}' in its calibration.json; use min_confidence");
            return null;
        }
        if (Core.Prediction.SelectivePrediction.For(bins, target) is not { } threshold)
        {
            fail("target_accuracy", $"no confidence threshold reached {target} accuracy on the test split with method '{method}'");
            return null;
        }
        return new Abstention("target_accuracy", threshold.Confidence, threshold.Coverage, threshold.Accuracy);
    }
}
