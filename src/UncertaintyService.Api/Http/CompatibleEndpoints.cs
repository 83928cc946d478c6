using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Http;

/// <summary>
/// Routes in the shapes existing clients speak, answered by the same path as /v1/classify (the adapter's
/// default method, Monte Carlo seed 0 so a text always gets the same answer): vLLM's POST /classify (model = adapter id), with this service's uncertainty beside
/// each result, and Text Embeddings Inference's POST /predict under /tei/{adapter} (point a TEI client's base URL at /tei/{adapter}).
/// </summary>
public static class CompatibleEndpoints
{
    // Clients of these routes expect a text to get the same probabilities every time: the Monte Carlo draws use seed 0.
    private const ulong FixedSeed = 0;

    public static void Map(WebApplication app)
    {
        app.MapPost("/classify", Vllm)
            .WithName("VllmClassify")
            .WithSummary("vLLM's classification API: {model, input} -> {data: [{index, label, probs, num_classes}]}, plus uncertainty")
            .WithDescription("model is the adapter id; input a text or a list of texts. Each result adds an uncertainty object (method, logit mean and "
                + "variance, MAP and probit probabilities, their spread, the entropy split). user is accepted and not used.")
            .WithTags("Compatible")
            .Accepts<VllmClassifyRequest>("application/json")
            .Produces<VllmClassifyResponse>()
            .ProducesInferenceProblems();
        app.MapPost("/tei/{adapter}/predict", Tei)
            .WithName("TeiPredict")
            .WithSummary("Text Embeddings Inference's /predict: {inputs} -> [{score, label}] per input, most probable first")
            .WithDescription("A text gives one list, a list of texts one list per text. raw_scores returns the logit means instead of probabilities.")
            .WithTags("Compatible")
            .Accepts<TeiPredictRequest>("application/json")
            .Produces<IReadOnlyList<TeiPrediction>>()
            .ProducesInferenceProblems();
    }

    private static async Task<IResult> Vllm(HttpContext context, AdapterRegistry registry, InferenceWorker worker,
        IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var request = await RequestJson.Read<VllmClassifyRequest>(context.Request, json.Value.SerializerOptions);
        if (string.IsNullOrWhiteSpace(request.Model)) throw ServiceException.Invalid("model", "is required: the adapter id");
        var (texts, _) = TextOrList.Read(request.Input, "input");
        var (job, outcome, _) = await ClassifyEndpoints.Run(new ClassifyRequest { Adapter = request.Model, Prompts = texts, Seed = FixedSeed }, context, registry, worker, options.Value);
        int tokens = job.Prompts.Sum(p => p.Length);
        var data = outcome.Predictions.Select((p, i) =>
        {
            var s = p.Probabilities;
            int best = Array.IndexOf(s.SampledMean, s.SampledMean.Max());
            var variance = Enumerable.Range(0, job.Labels.Count).Select(c => p.LogitCovariance[c, c]).ToArray();
            return new VllmClassifyData(i, job.Labels[best], s.SampledMean, job.Labels.Count,
                new VllmUncertainty(job.Method, job.Labels, p.LogitMean, variance, s.MapProbabilities, s.Probit, s.SampledStd, s.TotalEntropy, s.Aleatoric, s.Epistemic));
        }).ToList();
        return TypedResults.Ok(new VllmClassifyResponse($"classify-{Guid.NewGuid():N}", "list", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), request.Model,
            data, new VllmUsage(tokens, tokens, 0, null)));
    }

    private static async Task<IResult> Tei(string adapter, HttpContext context, AdapterRegistry registry, InferenceWorker worker,
        IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var request = await RequestJson.Read<TeiPredictRequest>(context.Request, json.Value.SerializerOptions);
        var (texts, single) = TextOrList.Read(request.Inputs, "inputs");
        var (job, outcome, _) = await ClassifyEndpoints.Run(new ClassifyRequest { Adapter = adapter, Prompts = texts, Seed = FixedSeed }, context, registry, worker, options.Value);
        bool raw = request.RawScores ?? false;
        var lists = outcome.Predictions.Select(p =>
        {
            double[] scores = raw ? p.LogitMean : p.Probabilities.SampledMean;
            return scores.Select((score, c) => new TeiPrediction(score, job.Labels[c])).OrderByDescending(x => x.Score).ToList();
        }).ToList();
        return single ? TypedResults.Ok(lists[0]) : TypedResults.Ok(lists);
    }
}
