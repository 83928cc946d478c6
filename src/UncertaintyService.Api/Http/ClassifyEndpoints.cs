using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Http;

public static class ClassifyEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/classify", Classify)
            .WithName("Classify")
            .WithSummary("Class probabilities with calibrated uncertainty for one or more prompts")
            .WithDescription("Per prompt: logit mean and covariance, MAP / Monte Carlo / probit probabilities, prediction and the entropy split; "
                + "plus the adapter version, posterior hyperparameters, timings and the adapter's calibration summary.")
            .WithTags("Classification")
            .Accepts<ClassifyRequest>("application/json")
            .Produces<ClassifyResponse>()
            .ProducesInferenceProblems();
    }

    private static async Task<IResult> Classify(HttpContext context, AdapterRegistry registry, InferenceWorker worker,
        IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, Outcomes.PredictionRecorder recorder)
    {
        var request = await RequestJson.Read<ClassifyRequest>(context.Request, json.Value.SerializerOptions);
        var (job, outcome, shape) = await Run(request, context, registry, worker, options.Value);
        var response = Respond(job, outcome, shape, recorder);
        Hosting.RequestOutcomes.PredictionIds(context, response.Results.Select(r => r.PredictionId));
        return TypedResults.Ok(response);
    }

    /// <summary>
    /// Validates a classify request, queues it and waits for its answer within the request timeout: the
    /// one path of /v1/classify and of the compatible routes (vLLM /classify, TEI /predict) built on it.
    /// </summary>
    public static async Task<(ClassificationJob Job, ClassificationOutcome Outcome, AnswerShape Shape)> Run(
        ClassifyRequest request, HttpContext context, AdapterRegistry registry, InferenceWorker worker, ServiceOptions options)
    {
        if (!registry.Ready)
            throw new ServiceException(ErrorKind.NotReady, "Not ready", "Models are still loading; retry shortly.");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.RequestTimeoutSeconds));
        var (job, shape) = new ClassifyValidator(registry, options.Limits).Validate(request, deadline.Token);
        Hosting.RequestOutcomes.Tag(context, job.Adapter.Id, job.Method);
        try
        {
            return (job, await worker.Submit(job).WaitAsync(deadline.Token), shape);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            throw new ServiceException(ErrorKind.Timeout, "Timed out",
                $"The request did not finish within {options.RequestTimeoutSeconds} s; the service is busy, retry shortly.");
        }
    }

    private static ClassifyResponse Respond(ClassificationJob job, ClassificationOutcome outcome, AnswerShape shape, Outcomes.PredictionRecorder recorder)
    {
        var adapter = job.Adapter;
        // Each answer is stored as given (the probabilities that decided and the class named), so live calibration scores what clients saw.
        var results = outcome.Predictions.Select((p, i) => Result(job.Labels, p, shape,
            (given, best) => recorder.Classification(adapter, job.Method, job.Labels, given, best, shape.PromptTexts[i]))).ToList();
        var t = outcome.Timings;
        var metadata = new ClassifyMetadata(adapter.Id, adapter.Sha256, adapter.Base.Bundle, job.Method,
            job.Predictive.PriorPrecision, SampleLimits.Reported(job.Predictive, job.Samples), job.Seed,
            outcome.BatchPrompts, new Dictionary<string, double>
            {
                ["queue"] = Math.Round(t.Queue, 3),
                ["forward"] = Math.Round(t.Forward, 3),
                ["gradients"] = Math.Round(t.Gradients, 3),
                ["covariance"] = Math.Round(t.Covariance, 3),
                ["sampling"] = Math.Round(t.Sampling, 3),
                ["total"] = Math.Round(t.Total, 3),
            }, shape.Abstention);
        return new ClassifyResponse(results, metadata, adapter.CalibrationSummary);
    }

    private static ClassifyResult Result(IReadOnlyList<string> labels, ClassPrediction p, AnswerShape shape, Func<double[], int, string?> record)
    {
        var (covariance, approximation, prediction, abstention, _) = shape;
        int c = labels.Count;
        var chosen = approximation == "probit" ? p.Probabilities.Probit : p.Probabilities.SampledMean;
        // prediction=map keeps MAP's answer (the logit mean's argmax); its confidence is still the predictive's probability of it.
        int best = prediction == "map" ? Array.IndexOf(p.LogitMean, p.LogitMean.Max()) : Array.IndexOf(chosen, chosen.Max());
        double[][]? matrix = covariance == CovarianceMode.Full
            ? Enumerable.Range(0, c).Select(i => Enumerable.Range(0, c).Select(j => p.LogitCovariance[i, j]).ToArray()).ToArray()
            : null;
        double[]? variance = covariance == CovarianceMode.None ? null : Enumerable.Range(0, c).Select(i => p.LogitCovariance[i, i]).ToArray();
        var s = p.Probabilities;
        return new ClassifyResult(labels, p.LogitMean, matrix, variance,
            new ProbabilitySet(s.MapProbabilities, s.SampledMean, s.SampledStd, s.Probit),
            labels[best], chosen[best], new UncertaintySplit(s.TotalEntropy, s.Aleatoric, s.Epistemic),
            abstention is null ? null : chosen[best] < abstention.Threshold, record(chosen, best));
    }
}
