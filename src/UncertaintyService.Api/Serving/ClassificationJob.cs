using System.Diagnostics;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>How much of the logit covariance a response carries.</summary>
public enum CovarianceMode
{
    Full,
    Diag,
    None,
}

/// <summary>One validated request as the worker sees it: token ids, class indices and options; no HTTP types.</summary>
public sealed class ClassificationJob : InferenceJob
{
    public ClassificationJob(AdapterLease lease, IPredictiveMethod method, IReadOnlyList<int[]> prompts, IReadOnlyList<string> labels, long[] classIndices,
        int samples, ulong seed, CancellationToken cancellation) : base(lease, method, cancellation)
    {
        Prompts = prompts;
        Labels = labels;
        ClassIndices = classIndices;
        Samples = samples;
        Seed = seed;
        // Prompt i draws from seed + i alone.
        Groups = prompts.Select((p, i) => new PredictiveGroup(method, [p], classIndices, samples, unchecked(seed + (ulong)i), cancellation)).ToList();
        Cost = RequestCost.Of(prompts, method.PassesPerText(classIndices.Length, samples));
    }

    public IReadOnlyList<int[]> Prompts { get; }
    public IReadOnlyList<string> Labels { get; }
    public long[] ClassIndices { get; }

    /// <summary>Weight samples or logit draws per prompt, as the method counts them (<see cref="SampleMeaning"/>).</summary>
    public int Samples { get; }

    public ulong Seed { get; }
    public TaskCompletionSource<ClassificationOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public override IReadOnlyList<PredictiveGroup> Groups { get; }
    public override long Cost { get; }

    protected override void Answer(IReadOnlyList<GroupMoments> moments, BatchContext batch, PhaseTimes times)
    {
        var clock = Stopwatch.StartNew();
        var predictions = new List<ClassPrediction>(moments.Count);
        for (int i = 0; i < moments.Count; i++)
        {
            if (!Finite(moments[i]))
            {
                Fail(new ServiceException(ErrorKind.Backend, "Model failure", $"prompts[{i}]: the model produced non-finite logits or covariance"));
                return;
            }
            predictions.Add(GroupAnswers.Classification(moments[i], Samples, Groups[i].Seed));
        }
        Completion.TrySetResult(new ClassificationOutcome(predictions, Timings(batch, times, clock.Elapsed), batch.Texts));
    }

    public override void Fail(Exception error) => Completion.TrySetException(error);

    public override void Cancel() => Completion.TrySetCanceled(Cancellation);
}

/// <summary>The worker's answer: one prediction per prompt and where the time went.</summary>
public sealed record ClassificationOutcome(IReadOnlyList<ClassPrediction> Predictions, PhaseTimings Timings, int BatchPrompts);

/// <summary>Milliseconds per phase of one request.</summary>
public sealed record PhaseTimings(double Queue, double Forward, double Gradients, double Covariance, double Sampling, double Total);
