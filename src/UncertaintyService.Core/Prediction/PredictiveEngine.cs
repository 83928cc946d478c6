using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Turns groups of texts of any adapters, methods, output sets and sample counts of one base model
/// into their joint output moments, sharing forward passes wherever the math allows:
/// <list type="bullet">
/// <item>every forward-only group (MAP, BLoB, SWAG, ensembles, SVGD, MC dropout, of any adapter) runs
/// in one stream of chunks, rows of different adapters and samples side by side
/// (<see cref="SharedForward"/>); adapters that save decoder modules whole keep their own stream;</item>
/// <item>linearised groups (Laplace) run per posterior, text count and output count, since their
/// forward keeps an autograd graph and their backward passes are one per output
/// (<see cref="LinearisedForward"/>).</item>
/// </list>
/// Everything runs in chunks under one token budget, whose BeforeChunk hook sees every chunk.
/// </summary>
public static class PredictiveEngine
{
    /// <param name="onGroupDone">Called on the engine's thread as each group finishes (with null when its cancellation fired), with the phase times so far.</param>
    public static EngineResult Run(LlamaModel model, IReadOnlyList<PredictiveGroup> groups, TokenBudget? budget = null,
        Action<int, GroupMoments?, PhaseTimes>? onGroupDone = null)
    {
        var chunks = budget ?? TokenBudget.Default;
        var progress = new EngineProgress(groups.Count, onGroupDone);
        var work = groups.Select((g, i) => (Index: i, Group: g)).ToList();
        foreach (var (_, group) in work)
        {
            if (group.Texts.Count == 0 || group.Outputs.Length == 0)
                throw new ArgumentException("Every group needs at least one text and one output.", nameof(groups));
            if (group.Method is not (IForwardSampler or ILinearisedMethod))
                throw new NotSupportedException($"Method '{group.Method.Name}' is neither a forward sampler nor linearised.");
        }
        foreach (var stream in work.Where(w => w.Group.Method is IForwardSampler).GroupBy(w => DecoderKey(w.Group.Method.Adapter)))
            SharedForward.Run(model, stream.ToList(), stream.Key as LoraAdapter, chunks, progress);
        foreach (var part in work.Where(w => w.Group.Method is ILinearisedMethod)
                     .GroupBy(w => (((ILinearisedMethod)w.Group.Method).Posterior, w.Group.Texts.Count, w.Group.Outputs.Length)))
            LinearisedForward.Run(part.Key.Posterior, part.ToList(), chunks, progress);
        return new EngineResult(progress.Results, progress.Times);
    }

    // Rows share a decoder pass unless their adapter replaces a decoder module whole (only the heads,
    // read per row group, may differ); such an adapter's rows run with the adapters that share its saved modules.
    private static object DecoderKey(LoraAdapter adapter) =>
        adapter.SavedModules.Any(m => m.ModulePath is not (LlamaModel.ScoreModulePath or "lm_head")) ? adapter : typeof(SharedForward);
}
