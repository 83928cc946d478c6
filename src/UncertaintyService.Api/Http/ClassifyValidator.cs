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

    /// <summary>The job holds a lease on the adapter version it was validated against; the worker ends it.</summary>
    public (ClassificationJob Job, CovarianceMode Covariance, string Approximation) Validate(ClassifyRequest request, CancellationToken cancellation)
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

    private (ClassificationJob Job, CovarianceMode Covariance, string Approximation) Validate(ClassifyRequest request, AdapterLease lease, CancellationToken cancellation)
    {
        var adapter = lease.Adapter;

        var errors = new Dictionary<string, List<string>>();
        void Fail(string field, string problem)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(problem);
        }

        if (adapter.Task.Kind != "classification")
            Fail("adapter", $"'{adapter.Id}' is a {adapter.Task.Kind} adapter; use POST /v1/reward");
        var prompts = PromptTexts(request, adapter, Fail);
        var tokens = prompts.Select((text, i) => Tokenize(adapter, text, i, Fail)).ToList();

        var (labels, classIndices) = Labels(request, adapter, Fail);
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

        if (errors.Count > 0)
            throw new ServiceException(ErrorKind.Validation, "Invalid request",
                string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
                errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));

        ulong seed = request.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 11;
        var job = new ClassificationJob(lease, predictive!, tokens!, labels, classIndices, samples, seed, cancellation);
        RequestCostLimit.Check(job, limits);
        return (job, Enum.Parse<CovarianceMode>(covariance, ignoreCase: true), approximation);
    }

    private List<string> PromptTexts(ClassifyRequest request, LoadedAdapter adapter, Action<string, string> fail)
    {
        if ((request.Prompts is null) == (request.Inputs is null))
        {
            fail("prompts", "give exactly one of prompts (raw texts) or inputs (template fields)");
            return [];
        }
        int count = request.Prompts?.Count ?? request.Inputs!.Count;
        string field = request.Prompts is null ? "inputs" : "prompts";
        if (count < 1 || count > limits.MaxPromptsPerRequest)
        {
            fail(field, $"{count} prompts; a request takes 1..{limits.MaxPromptsPerRequest}");
            return [];
        }
        if (request.Prompts is not null)
            return request.Prompts.Select((p, i) => CheckText(p, $"prompts[{i}]", fail)).ToList();

        if (adapter.Task.PromptTemplate is null)
        {
            fail("inputs", $"adapter '{adapter.Id}' has no prompt template; send prompts instead");
            return [];
        }
        var texts = new List<string>();
        for (int i = 0; i < request.Inputs!.Count; i++)
        {
            var fields = request.Inputs[i] ?? [];
            var (prompt, missing, unknown) = adapter.Task.Fill(fields);
            foreach (var name in missing) fail($"inputs[{i}].{name}", "is required by the prompt template");
            foreach (var name in unknown) fail($"inputs[{i}].{name}", $"is not a field of the prompt template ({string.Join(", ", adapter.Task.TemplateFields)})");
            foreach (var (name, value) in fields.Where(f => f.Value is null)) fail($"inputs[{i}].{name}", "must be a string");
            texts.Add(prompt is null ? "" : CheckText(prompt, $"inputs[{i}]", fail));
        }
        return texts;
    }

    private string CheckText(string? text, string field, Action<string, string> fail)
    {
        if (string.IsNullOrEmpty(text)) fail(field, "must be a non-empty string");
        else if (text.Length > limits.MaxPromptCharacters) fail(field, $"{text.Length} characters; the limit is {limits.MaxPromptCharacters}");
        else return text;
        return "";
    }

    private int[]? Tokenize(LoadedAdapter adapter, string text, int index, Action<string, string> fail)
    {
        if (text.Length == 0) return null;
        var ids = adapter.Base.Tokenizer.EncodePrompt(text);
        if (ids.Length > limits.MaxPromptTokens)
            fail($"prompts[{index}]", $"{ids.Length} tokens; the limit is {limits.MaxPromptTokens}");
        return ids;
    }

    private (IReadOnlyList<string> Labels, long[] ClassIndices) Labels(ClassifyRequest request, LoadedAdapter adapter, Action<string, string> fail)
    {
        if (request.Labels is null)
            return (adapter.Task.Labels, adapter.LabelTokenIds.Select(i => (long)i).ToArray());
        var labels = request.Labels;
        if (labels.Count < 2 || labels.Count > limits.MaxLabels)
        {
            fail("labels", $"{labels.Count} labels; give 2..{limits.MaxLabels}");
            return ([], []);
        }
        if (labels.Any(string.IsNullOrEmpty))
        {
            fail("labels", "labels must be non-empty strings");
            return ([], []);
        }
        if (labels.Distinct().Count() != labels.Count)
            fail("labels", "labels must be distinct");
        var ids = labels.Select(l => adapter.Base.Tokenizer.LabelToken(l, adapter.Task.LabelContext)).ToArray();
        var unmapped = labels.Where((_, i) => ids[i] is null).ToList();
        if (unmapped.Count > 0)
            fail("labels", $"not one token after the prompt: {string.Join(", ", unmapped.Select(l => $"'{l}'"))}");
        if (ids.Where(i => i is not null).Distinct().Count() != ids.Count(i => i is not null))
            fail("labels", "two labels map to the same token");
        return (labels, ids.Select(i => (long)(i ?? 0)).ToArray());
    }
}
