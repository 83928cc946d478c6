using System.Security.Cryptography;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Http;

/// <summary>Checks a reward request against the adapter and the limits and turns it into a job. Every problem is reported, by field.</summary>
public sealed class RewardValidator(AdapterRegistry registry, LimitOptions limits)
{
    public static readonly string[] Approximations = ["mc", "probit"];

    private readonly FieldErrors errors = new();

    /// <summary>The job holds a lease on the adapter version it was validated against; the worker ends it.</summary>
    public (RewardJob Job, string Approximation, RewardRisk Risk) Validate(RewardRequest request, CancellationToken cancellation) =>
        WithLease(request.Adapter, lease => Validate(request, lease, cancellation));

    /// <summary>The OpenRLHF alias: every query is one text, scored with the adapter's default method.</summary>
    public RewardJob Validate(string adapterId, OpenRlhfRewardRequest request, CancellationToken cancellation) =>
        WithLease(adapterId, lease => Validate(request, lease, cancellation));

    private (RewardJob Job, string Approximation, RewardRisk Risk) Validate(RewardRequest request, AdapterLease lease, CancellationToken cancellation)
    {
        var adapter = lease.Adapter;
        List<int[]>? texts = null, rejected = null;
        if ((request.Items is null) == (request.Pairs is null))
            Fail("items", "give exactly one of items ({prompt, response}) or pairs ({prompt, chosen, rejected})");
        else if (request.Items is not null && CountOk("items", request.Items.Count, 1))
        {
            texts = request.Items.Select((item, i) => item is null
                ? Missing($"items[{i}]")
                : Tokenize(adapter, $"items[{i}]", item.Prompt, "response", item.Response)).ToList();
        }
        else if (request.Pairs is not null && CountOk("pairs", request.Pairs.Count, 2))
        {
            texts = [];
            rejected = [];
            for (int i = 0; i < request.Pairs.Count; i++)
            {
                var pair = request.Pairs[i];
                if (pair is null)
                {
                    texts.Add(Missing($"pairs[{i}]"));
                    rejected.Add([]);
                    continue;
                }
                texts.Add(Tokenize(adapter, $"pairs[{i}]", pair.Prompt, "chosen", pair.Chosen));
                rejected.Add(Tokenize(adapter, $"pairs[{i}]", pair.Prompt, "rejected", pair.Rejected));
                if (pair.Chosen is { Length: > 0 } && pair.Chosen == pair.Rejected)
                    Fail($"pairs[{i}].rejected", "is the same text as chosen; a pair compares two different responses");
            }
        }
        var (method, samples) = MethodAndSamples(adapter, request.Method, request.Samples);
        string approximation = request.Approximation ?? "mc";
        if (!Approximations.Contains(approximation))
            Fail("approximation", $"'{approximation}' is not one of {string.Join(", ", Approximations)}");
        var risk = RewardRisk.Read(request.Risk, request.RiskCoefficient, errors);
        ThrowIfInvalid();
        ulong seed = request.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 11;
        // A Gaussian's Monte Carlo draws are what approximation=mc asks for; probit uses none. Weight samples are forward passes either way.
        if (method!.Samples == SampleMeaning.GaussianDraws && approximation != "mc") samples = 0;
        var job = new RewardJob(lease, method, texts!, rejected, samples, seed, cancellation);
        RequestCostLimit.Check(job, limits);
        return (job, approximation, risk);
    }

    private RewardJob Validate(OpenRlhfRewardRequest request, AdapterLease lease, CancellationToken cancellation)
    {
        var adapter = lease.Adapter;
        List<int[]> texts = [];
        if (request.Query is null)
            Fail("query", "is required: a list of texts (prompt + response)");
        else if (CountOk("query", request.Query.Count, 1))
            texts = request.Query.Select((q, i) => Encode(adapter, $"query[{i}]", q)).ToList();
        var (method, samples) = MethodAndSamples(adapter, null, null);
        ThrowIfInvalid();
        var job = new RewardJob(lease, method!, texts, null, samples, 0, cancellation);
        RequestCostLimit.Check(job, limits);
        return job;
    }

    private T WithLease<T>(string? id, Func<AdapterLease, T> validate)
    {
        if (string.IsNullOrWhiteSpace(id))
            throw ServiceException.Invalid("adapter", "is required");
        var lease = registry.Lease(id) ?? throw ClassifyValidator.AdapterNotFound(id);
        try
        {
            if (lease.Adapter.Task.Kind != "reward")
                throw ServiceException.Invalid("adapter", $"'{id}' is a {lease.Adapter.Task.Kind} adapter; use POST /v1/classify");
            return validate(lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private (IPredictiveMethod? Method, int Samples) MethodAndSamples(LoadedAdapter adapter, string? requested, int? requestedSamples)
    {
        string method = requested ?? adapter.Posterior.Method;
        int samples = requestedSamples ?? adapter.DefaultSamples(method);
        if (!adapter.Predictives.TryGetValue(method, out var predictive))
            Fail("method", $"'{method}' is not available for '{adapter.Id}'; available: {string.Join(", ", adapter.Methods)}");
        else if (SampleLimits.Problem(predictive, samples, limits) is { } problem)
            Fail("samples", problem);
        return (predictive, samples);
    }

    // Texts per request: a pair puts two into the forward pass.
    private bool CountOk(string field, int count, int textsEach)
    {
        int most = limits.MaxPromptsPerRequest / textsEach;
        if (count >= 1 && count <= most) return true;
        Fail(field, $"{count} entries; a request takes 1..{most}{(textsEach > 1 ? $" (each pair is {textsEach} texts of the {limits.MaxPromptsPerRequest} allowed)" : "")}");
        return false;
    }

    private int[] Missing(string field)
    {
        Fail(field, "must be an object");
        return [];
    }

    private int[] Tokenize(LoadedAdapter adapter, string field, string? prompt, string responseName, string? response)
    {
        if (prompt is null) Fail($"{field}.prompt", "is required (it may be empty)");
        if (string.IsNullOrEmpty(response)) Fail($"{field}.{responseName}", "must be a non-empty string");
        if (prompt is null || string.IsNullOrEmpty(response)) return [];
        return Encode(adapter, $"{field}.{responseName}", RewardText.Format(adapter.Task, prompt, response));
    }

    private int[] Encode(LoadedAdapter adapter, string field, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            Fail(field, "must be a non-empty string");
            return [];
        }
        if (text.Length > limits.MaxPromptCharacters)
        {
            Fail(field, $"{text.Length} characters; the limit is {limits.MaxPromptCharacters}");
            return [];
        }
        var ids = adapter.Base.Tokenizer.EncodePrompt(text);
        if (ids.Length > limits.MaxPromptTokens)
            Fail(field, $"{ids.Length} tokens; the limit is {limits.MaxPromptTokens}");
        return ids;
    }

    private void Fail(string field, string problem) => errors.Add(field, problem);

    private void ThrowIfInvalid() => errors.ThrowIfAny();
}
