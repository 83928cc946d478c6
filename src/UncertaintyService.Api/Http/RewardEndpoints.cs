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
            .ProducesInferenceProblems();

        v1.MapPost("/reward/{adapter}/get_reward", OpenRlhf)
            .WithName("OpenRlhfReward")
            .WithSummary("OpenRLHF remote reward model: {\"query\": [texts]} -> {\"rewards\": [...]}, plus the variances")
            .WithDescription("Point OpenRLHF's --remote_rm_url at this route. Each query is prompt and response already joined; "
                + "the adapter's default method scores it. prompts and labels, which newer OpenRLHF clients send, are accepted and ignored. "
                + "The query string may set risk (mean, lower_bound, uncertainty_weighted) and risk_coefficient, since OpenRLHF's body cannot; "
                + "extra_logs carries each query's reward mean, variance and standard deviation for OpenRLHF's dashboards.")
            .WithTags("Reward")
            .Accepts<OpenRlhfRewardRequest>("application/json")
            .Produces<OpenRlhfRewardResponse>()
            .ProducesInferenceProblems();
    }

    private static async Task<IResult> Reward(HttpContext context, AdapterRegistry registry, InferenceWorker worker,
        IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, Outcomes.PredictionRecorder recorder)
    {
        var request = await RequestJson.Read<RewardRequest>(context.Request, json.Value.SerializerOptions);
        RequireReady(registry);
        using var deadline = Deadline(context, options.Value);
        var (job, approximation, risk) = new RewardValidator(registry, options.Value.Limits).Validate(request, deadline.Token);
        var outcome = await Run(worker, job, deadline, context, options.Value);
        var response = Respond(job, outcome, approximation, risk, request, recorder);
        Hosting.RequestOutcomes.PredictionIds(context, response.Pairs?.Select(p => p.PredictionId) ?? []);
        return TypedResults.Ok(response);
    }

    private static async Task<IResult> OpenRlhf(string adapter, HttpContext context, AdapterRegistry registry, InferenceWorker worker,
        IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, string? risk, string? risk_coefficient)
    {
        var request = await RequestJson.Read<OpenRlhfRewardRequest>(context.Request, json.Value.SerializerOptions);
        RequireReady(registry);
        var riskErrors = new FieldErrors();
        double? coefficient = null;
        if (risk_coefficient is not null)
        {
            if (double.TryParse(risk_coefficient, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double c)) coefficient = c;
            else riskErrors.Add("risk_coefficient", $"'{risk_coefficient}' is not a number");
        }
        var chosenRisk = RewardRisk.Read(risk, coefficient, riskErrors);
        riskErrors.ThrowIfAny();
        using var deadline = Deadline(context, options.Value);
        var job = new RewardValidator(registry, options.Value.Limits).Validate(adapter, request, deadline.Token);
        var outcome = await Run(worker, job, deadline, context, options.Value);
        var items = outcome.Items!;
        var scores = items.Select(i => chosenRisk.Score(i.Mean, i.Variance)).ToArray();
        var variances = items.Select(i => i.Variance).ToArray();
        return TypedResults.Ok(new OpenRlhfRewardResponse(scores, scores, variances, new Dictionary<string, double[]>
        {
            ["reward_mean"] = [.. items.Select(i => i.Mean)],
            ["reward_variance"] = variances,
            ["reward_std"] = [.. variances.Select(v => Math.Sqrt(Math.Max(v, 0)))],
        }));
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

    private static RewardResponse Respond(RewardJob job, RewardOutcome outcome, string approximation, RewardRisk risk, RewardRequest request,
        Outcomes.PredictionRecorder recorder)
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
            }, risk.Kind, risk.Coefficient);
        return new RewardResponse(
            outcome.Items?.Select(i => new RewardItemResult(i.Mean, i.Variance, risk.Score(i.Mean, i.Variance))).ToList(),
            // Each pair is stored with P(chosen preferred) as answered; single items have no outcome to report and are not stored.
            outcome.Pairs?.Select((p, i) => Result(p, risk) with
            {
                PredictionId = recorder.Preference(adapter, job.Method, p.PChosenPreferred, request.Pairs![i]!.Prompt!, request.Pairs[i]!.Chosen!, request.Pairs[i]!.Rejected!),
            }).ToList(),
            metadata, adapter.CalibrationSummary);
    }

    private static RewardPairResult Result(PreferencePrediction p, RewardRisk risk) => new(
        p.ChosenMean, p.ChosenVariance, p.RejectedMean, p.RejectedVariance, p.Covariance, p.DifferenceMean, p.DifferenceVariance,
        p.PChosenPreferred, p.PChosenPreferredStd, p.PProbit, p.PRewardHigher, p.PMap,
        risk.Score(p.ChosenMean, p.ChosenVariance), risk.Score(p.RejectedMean, p.RejectedVariance));
}
