using System.Diagnostics;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// Runs a batch of compatible reward jobs on the inference worker's thread: one forward (and, for
/// Laplace, one backward) over all their texts, then each job's answer from its slice.
/// </summary>
internal static class RewardBatchRunner
{
    public static void Run(IReadOnlyList<RewardJob> jobs, ServiceTelemetry telemetry, TokenBudget budget)
    {
        var first = jobs[0];
        var adapter = first.Adapter;
        var texts = jobs.SelectMany(j => j.Texts).Cast<IReadOnlyList<int>>().ToList();
        var rejected = first.IsPairs ? jobs.SelectMany(j => j.Rejected!).Cast<IReadOnlyList<int>>().ToList() : null;
        int batchTexts = texts.Count + (rejected?.Count ?? 0);
        telemetry.BatchSize.Record(batchTexts);
        var started = DateTime.UtcNow;
        foreach (var job in jobs)
            ServiceTelemetry.RecordPhase("uncertainty.queue", job.Trace, started - job.SinceEnqueue.Elapsed, job.SinceEnqueue.Elapsed, job.TextCount);

        bool laplace = first.Method == "laplace";
        var model = adapter.Base.Model;
        PairMoments moments = rejected is null
            ? new PairMoments(laplace ? RewardPredictor.Laplace(adapter.Laplace!, texts, budget) : RewardPredictor.Map(model, adapter.Adapter, texts, budget),
                new RewardMoments([], [], TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), [])
            : laplace ? RewardPredictor.LaplacePairs(adapter.Laplace!, texts, rejected, budget) : RewardPredictor.MapPairs(model, adapter.Adapter, texts, rejected, budget);
        ServiceTelemetry.RecordPhase("uncertainty.forward", first.Trace, started, moments.Forward, batchTexts);
        ServiceTelemetry.RecordPhase("uncertainty.gradients", first.Trace, started + moments.Forward, moments.Gradients + moments.Covariance, batchTexts);

        int offset = 0;
        foreach (var job in jobs)
        {
            var queue = job.SinceEnqueue.Elapsed - (DateTime.UtcNow - started);
            var clock = Stopwatch.StartNew();
            int count = job.Texts.Count;
            var c = moments.Chosen;
            bool finite = Enumerable.Range(offset, count).All(i => double.IsFinite(c.Means[i]) && double.IsFinite(c.Variances[i])
                && (!job.IsPairs || (double.IsFinite(moments.Rejected.Means[i]) && double.IsFinite(moments.Rejected.Variances[i]) && double.IsFinite(moments.Covariances[i]))));
            if (!finite)
            {
                job.Fail(new ServiceException(ErrorKind.Backend, "Model failure", $"{(job.IsPairs ? "pairs" : "items")}: the model produced non-finite rewards or variances"));
                offset += count;
                continue;
            }
            IReadOnlyList<RewardEstimate>? items = null;
            IReadOnlyList<PreferencePrediction>? pairs = null;
            if (job.IsPairs)
            {
                var r = moments.Rejected;
                // MAP has no spread to sample from; its pairs answer with the closed forms alone.
                int samples = laplace ? job.Samples : 0;
                pairs = Enumerable.Range(0, count).Select(i => PreferencePrediction.From(c.Means[offset + i], r.Means[offset + i],
                    c.Variances[offset + i], r.Variances[offset + i], moments.Covariances[offset + i], samples, unchecked(job.Seed + (ulong)i))).ToList();
            }
            else
                items = Enumerable.Range(offset, count).Select(i => new RewardEstimate(c.Means[i], c.Variances[i])).ToList();
            offset += count;
            ServiceTelemetry.RecordPhase("uncertainty.sampling", job.Trace, DateTime.UtcNow - clock.Elapsed, clock.Elapsed, job.TextCount);
            var timings = new PhaseTimings(queue.TotalMilliseconds, moments.Forward.TotalMilliseconds, moments.Gradients.TotalMilliseconds,
                moments.Covariance.TotalMilliseconds, clock.Elapsed.TotalMilliseconds, job.SinceEnqueue.Elapsed.TotalMilliseconds);
            job.Completion.TrySetResult(new RewardOutcome(items, pairs, timings, batchTexts));
        }
    }
}
