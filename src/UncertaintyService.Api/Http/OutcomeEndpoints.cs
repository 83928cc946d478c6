using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Outcomes;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Http;

/// <summary>POST /v1/outcomes (truths for answered predictions) and GET /v1/adapters/{id}/calibration/live.</summary>
public static class OutcomeEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/outcomes", Record)
            .WithName("RecordOutcomes")
            .WithSummary("Report the true label (or a pair's preferred response) of predictions the service answered")
            .WithDescription("Each entry names a prediction_id from /v1/classify or /v1/reward (pairs). Unknown, expired and already-answered ids, "
                + "and labels outside the prediction's labels, are a 422 naming the entry; the other entries of the batch are stored "
                + "(the problem's `accepted` says how many).")
            .WithTags("Outcomes")
            .Accepts<OutcomesRequest>("application/json")
            .Produces<OutcomesResponse>()
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapGet("/adapters/{id}/calibration/live", Live)
            .WithName("LiveCalibration")
            .WithSummary("Live calibration per method from the outcomes reported, beside the offline report, with the drift flag")
            .WithDescription("Accuracy, ECE, NLL, Brier and reliability bins over the newest Outcomes:WindowOutcomes outcomes no older than "
                + "Outcomes:WindowHours; the offline test split; drift when live ECE's bootstrap lower bound exceeds the offline ECE by "
                + "Outcomes:DriftMargin with at least Outcomes:DriftMinOutcomes outcomes; with target_accuracy, the confidence threshold that reaches it.")
            .WithTags("Outcomes")
            .Produces<LiveCalibrationResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapGet("/adapters/{id}/reliability/live/{method}.svg", LiveDiagram)
            .WithName("LiveReliabilityDiagram")
            .WithSummary("The test split's reliability diagram with the live outcomes' bins drawn over it, as SVG")
            .WithTags("Outcomes")
            .Produces(StatusCodes.Status200OK, contentType: "image/svg+xml")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    // The offline test split's diagram with the live window's bins drawn over it.
    private static IResult LiveDiagram(string id, string method, AdapterRegistry registry, IOptions<ServiceOptions> options, IServiceProvider services)
    {
        Store(options.Value, services);
        var adapter = registry.Find(id) ?? throw ClassifyValidator.AdapterNotFound(id);
        if (!adapter.Predictives.ContainsKey(method))
            throw new ServiceException(ErrorKind.NotFound, "No such method", $"'{method}' is not available for '{id}'; available: {string.Join(", ", adapter.Methods)}");
        var calibration = Guarded(() => services.GetRequiredService<LiveCalibrationMonitor>().Evaluate(adapter, method));
        var offline = calibration.Offline ?? new Core.Bundles.CalibrationMetrics { Bins = [] };
        string title = calibration.Offline is null ? $"{id} · live · {method}" : $"{id} · test and live · {method}";
        return TypedResults.Text(ReliabilitySvg.Render(title, offline, calibration.Live ?? new Core.Bundles.CalibrationMetrics { Bins = [] }), "image/svg+xml");
    }

    private static async Task<IResult> Record(HttpContext context, IOptions<ServiceOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        IServiceProvider services, TimeProvider time)
    {
        var (store, writer) = Store(options.Value, services);
        var request = await RequestJson.Read<OutcomesRequest>(context.Request, json.Value.SerializerOptions);
        var errors = new FieldErrors();
        var items = request.Outcomes;
        int max = options.Value.Limits.MaxOutcomesPerRequest;
        if (items is null || items.Count == 0) errors.Add("outcomes", "is required: [{prediction_id, label}]");
        else if (items.Count > max) errors.Add("outcomes", $"{items.Count} entries; at most {max} per request (Limits:MaxOutcomesPerRequest)");
        errors.ThrowIfAny();

        // Every prediction answered before this request is in the store before its ids are looked up; a writer
        // that cannot catch up within the request timeout is a 503, not a wait without end.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.RequestTimeoutSeconds));
        try
        {
            await writer.Flush(deadline.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            throw Unavailable($"the prediction writer did not catch up within {options.Value.RequestTimeoutSeconds} s");
        }
        // Only well-formed ids are looked up; the others are named below without a query.
        var found = Guarded(() => store.FindForOutcomes(items!.Select(i => i?.PredictionId).Where(id => id is not null && PredictionIds.MadeAt(id) is not null)
            .Select(id => id!).ToList()));
        var now = time.GetUtcNow();
        var retention = TimeSpan.FromHours(options.Value.Outcomes.RetentionHours);
        var accepted = new List<(StoredOutcome Outcome, string Adapter, string Method)>();
        var fields = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < items!.Count; i++)
        {
            string field = $"outcomes[{i}]";
            if (Outcome(items[i], field, found, seen, now, retention, errors) is not { } outcome) continue;
            var prediction = found[outcome.PredictionId];
            accepted.Add((outcome, prediction.Adapter, prediction.Method));
            fields[outcome.PredictionId] = i;
        }
        foreach (var duplicate in Guarded(() => store.WriteOutcomes(accepted)))
        {
            errors.Add($"outcomes[{fields[duplicate]}].prediction_id", $"'{duplicate}' already has an outcome");
            accepted.RemoveAll(a => a.Outcome.PredictionId == duplicate);
        }
        errors.ThrowIfAny(new Dictionary<string, object?> { ["accepted"] = accepted.Count });
        return TypedResults.Ok(new OutcomesResponse(accepted.Count));
    }

    // One entry checked against its stored prediction; null (with the problem added) when it cannot be stored.
    private static StoredOutcome? Outcome(OutcomeInput? item, string field, Dictionary<string, PredictionForOutcome> found, HashSet<string> seen,
        DateTimeOffset now, TimeSpan retention, FieldErrors errors)
    {
        if (item?.PredictionId is not { } id)
        {
            errors.Add($"{field}.prediction_id", "is required");
            return null;
        }
        if (!found.TryGetValue(id, out var prediction))
        {
            errors.Add($"{field}.prediction_id", PredictionIds.MadeAt(id) switch
            {
                null => $"'{id}' is not a prediction id",
                { } made when now - made > retention => $"'{id}' has expired: predictions are kept {retention.TotalHours:0.###} h (Outcomes:RetentionHours)",
                _ => $"'{id}' is unknown: no stored prediction has it",
            });
            return null;
        }
        if (prediction.HasOutcome || !seen.Add(id))
        {
            errors.Add($"{field}.prediction_id", $"'{id}' already has an outcome");
            return null;
        }
        long at = now.ToUnixTimeMilliseconds();
        if (prediction.Kind == PredictionKind.Preference && item.VoteFraction is { } votes)
        {
            if (item.Label is not null) errors.Add($"{field}.label", "give label or vote_fraction, not both");
            else if (!double.IsFinite(votes) || votes is < 0 or > 1 || votes == 0.5)
                errors.Add($"{field}.vote_fraction", $"{votes} is not a fraction in [0, 1] other than 0.5 (which names no preferred response)");
            else return new StoredOutcome(id, at, votes > 0.5 ? 0 : 1, votes);
            return null;
        }
        if (item.VoteFraction is not null)
        {
            errors.Add($"{field}.vote_fraction", "applies to reward pairs only; this prediction is a classification");
            return null;
        }
        int label = item.Label is null ? -1 : prediction.Labels.ToList().IndexOf(item.Label);
        if (label < 0)
        {
            errors.Add($"{field}.label", item.Label is null
                ? $"is required: one of {string.Join(", ", prediction.Labels)}"
                : $"'{item.Label}' is not one of the prediction's labels ({string.Join(", ", prediction.Labels)})");
            return null;
        }
        return new StoredOutcome(id, at, label, null);
    }

    private static IResult Live(string id, string? method, double? target_accuracy, AdapterRegistry registry, IOptions<ServiceOptions> options,
        IServiceProvider services)
    {
        Store(options.Value, services);
        var monitor = services.GetRequiredService<LiveCalibrationMonitor>();
        var adapter = registry.Find(id) ?? throw ClassifyValidator.AdapterNotFound(id);
        var errors = new FieldErrors();
        if (method is not null && !adapter.Predictives.ContainsKey(method))
            errors.Add("method", $"'{method}' is not available for '{id}'; available: {string.Join(", ", adapter.Methods)}");
        if (target_accuracy is { } t && !(t > 0 && t <= 1))
            errors.Add("target_accuracy", $"{t} is not in (0, 1]");
        errors.ThrowIfAny();
        var o = options.Value.Outcomes;
        var methods = (method is null ? adapter.Methods : [method]).Select(m =>
        {
            var c = Guarded(() => monitor.Evaluate(adapter, m));
            LiveSelective? selective = null;
            if (target_accuracy is { } target)
            {
                var threshold = c.Live?.Bins is { } bins ? SelectivePrediction.For(bins, target) : null;
                selective = new LiveSelective(target, threshold?.Confidence, threshold?.Coverage, threshold?.Accuracy);
            }
            var (made, withOutcome) = c.Predictions;
            return new LiveMethodCalibration(m, c.Outcomes, made, made > 0 ? (double)withOutcome / made : null, c.Live, c.Offline,
                c.Drift, selective);
        }).ToList();
        return TypedResults.Ok(new LiveCalibrationResponse(adapter.Id, o.WindowOutcomes, o.WindowHours, methods));
    }

    // A store that cannot be reached (PostgreSQL down, a locked SQLite file) is the service's dependency failing: 503 with Retry-After.
    private static T Guarded<T>(Func<T> query)
    {
        try
        {
            return query();
        }
        catch (System.Data.Common.DbException e)
        {
            throw Unavailable(e.Message);
        }
    }

    private static ServiceException Unavailable(string why) =>
        new(ErrorKind.NotReady, "Outcome store unavailable", $"The outcome store cannot be used now ({why}); retry shortly.") { RetryAfterSeconds = 5 };

    private static (OutcomeStore Store, PredictionWriter Writer) Store(ServiceOptions options, IServiceProvider services)
    {
        if (!options.Outcomes.Enabled)
            throw new ServiceException(ErrorKind.NotFound, "Outcome store off",
                "The outcome store is switched off (UncertaintyService:Outcomes:Enabled = false); no predictions are kept to score.");
        return (services.GetRequiredService<OutcomeStore>(), services.GetRequiredService<PredictionWriter>());
    }
}
