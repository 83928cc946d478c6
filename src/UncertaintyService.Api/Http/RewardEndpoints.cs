using System.Diagnostics;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Http;

public static class RewardEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/reward", Reward)
            .WithName("Reward")
            .WithSummary("Rewards with their posterior variance, or preference probabilities of pairs from the joint reward Gaussian")
            .WithDescription("items: per text the reward mean and variance. pairs: both rewards, their covariance, and P(chosen preferred) "
                + "as the Bradley-Terry predictive over the joint Gaussian (Monte Carlo or probit), with P(r_c > r_r) = Phi(m / s) and the MAP "
                + "probability sigmoid(mu_c - mu_r) beside it; plus the adapter version, posterior, timings and calibration summary.")
            .WithTags("Reward")
            .Accepts<RewardRequest>("application/json")
            .Produces<RewardResponse>()
            .ProducesRewardProblems();

        v1.MapPost("/reward/{adapter}/get_reward", OpenRlhf)
            .WithName("OpenRlhfReward")
            .WithSummary("OpenRLHF remote reward model: {\"query\": [texts]} -> {\"rewards\": [...]}, plus the variances")
            .WithDescription("Point OpenRLHF's --remote_rm_url at this route. Each query is prompt and response already joined; "
                + "the adapter's default method scores it. prompts and labels, which newer OpenRLHF clients send, are accepted and ignored.")
            .WithTags("Reward")
            .Accepts<OpenRlhfRewardRequest>("application/json")
            .Produces<OpenRlhfRewardResponse>()
            .ProducesRewardProblems();
    }

    private static RouteHandlerBuilder ProducesRewardProblems(this RouteHandlerBuilder route) => route
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status408RequestTimeout)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status424FailedDependency)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> Reward(HttpContext context, AdapterRegistry registry, InferenceWorker worker,
        IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var request = await RequestJson.Read<RewardRequest>(context.Request, json.Value.SerializerOptions);
        RequireReady(registry);
        using var deadline = Deadline(context, options.Value);
        var (job, approximation) = new RewardValidator(registry, options.Value.Limits).Validate(request, deadline.Token);
        var outcome = await Run(worker, job, deadline, context, options.Value);
        return TypedResults.Ok(Respond(job, outcome, approximation));
    }

    private static async Task<IResult> OpenRlhf(string adapter, HttpContext context, AdapterRegistry registry, InferenceWorker worker,
        IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var request = await RequestJson.Read<OpenRlhfRewardRequest>(context.Request, json.Value.SerializerOptions);
        RequireReady(registry);
        using var deadline = Deadline(context, options.Value);
        var job = new RewardValidator(registry, options.Value.Limits).Validate(adapter, request, deadline.Token);
        var outcome = await Run(worker, job, deadline, context, options.Value);
        var rewards = outcome.Items!.Select(i => i.Mean).ToArray();
        return TypedResults.Ok(new OpenRlhfRewardResponse(rewards, rewards, [.. outcome.Items!.Select(i => i.Variance)]));
    }

    private static void RequireReady(AdapterRegistry registry)
    {
        if (!registry.Ready)
            throw new ServiceException(ErrorKind.NotReady, "Not ready", "Models are still loading; retry shortly.");
    }

    private static CancellationTokenSource Deadline(HttpContext context, ServiceOptions options)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.RequestTimeoutSeconds));
        return deadline;
    }

    private static async Task<RewardOutcome> Run(InferenceWorker worker, RewardJob job, CancellationTokenSource deadline, HttpContext context,
        ServiceOptions options)
    {
        Hosting.RequestOutcomes.Tag(context, job.Adapter.Id, job.Method);
        RewardOutcome outcome;
        try
        {
            outcome = await worker.Submit(job).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            throw new ServiceException(ErrorKind.Timeout, "Timed out",
                $"The request did not finish within {options.RequestTimeoutSeconds} s; the service is busy, retry shortly.");
        }
        return outcome;
    }

    private static RewardResponse Respond(RewardJob job, RewardOutcome outcome, string approximation)
    {
        var adapter = job.Adapter;
        var t = outcome.Timings;
        var metadata = new RewardMetadata(adapter.Id, adapter.Sha256, adapter.Base.Bundle, job.Method,
            job.Predictive.PriorPrecision, SampleLimits.Reported(job.Predictive, job.Samples), job.Seed, approximation, outcome.BatchTexts,
            new Dictionary<string, double>
            {
                ["queue"] = Math.Round(t.Queue, 3),
                ["forward"] = Math.Round(t.Forward, 3),
                ["gradients"] = Math.Round(t.Gradients, 3),
                ["covariance"] = Math.Round(t.Covariance, 3),
                ["sampling"] = Math.Round(t.Sampling, 3),
                ["total"] = Math.Round(t.Total, 3),
            });
        return new RewardResponse(
            outcome.Items?.Select(i => new RewardItemResult(i.Mean, i.Variance)).ToList(),
            outcome.Pairs?.Select(Result).ToList(),
            metadata, adapter.CalibrationSummary);
    }

    private static RewardPairResult Result(PreferencePrediction p) => new(
        p.ChosenMean, p.ChosenVariance, p.RejectedMean, p.RejectedVariance, p.Covariance, p.DifferenceMean, p.DifferenceVariance,
        p.PChosenPreferred, p.PChosenPreferredStd, p.PProbit, p.PRewardHigher, p.PMap);
}
