using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>SWAG's collection schedule.</summary>
/// <param name="Every">Steps between snapshots.</param>
/// <param name="DeviationColumns">K, the last deviations kept for the low-rank part (0: diagonal SWAG).</param>
public sealed record SwagOptions(int Every = 10, int DeviationColumns = 10, double Scale = 0.5);

/// <summary>
/// SWAG-LoRA (Onal et al. 2024): continue fine-tuning from the MAP adapter at a constant learning rate
/// and take a snapshot of the LoRA weights every few steps; keep the running mean and second moment
/// and the last K deviations theta_i - mean_i from the running mean, as Maddox et al. do.
/// </summary>
public static class SwagCollector
{
    public static (SwagPosterior Posterior, TrainingLog Log) Collect(LlamaModel model, LoraAdapter start, IReadOnlyList<int[]> prompts,
        IReadOnlyList<int> labels, long[] classIndices, LoraTrainingOptions options, SwagOptions swag, string filePath,
        IProgress<(int Step, double Loss)>? progress = null)
    {
        int snapshots = options.Steps / swag.Every;
        if (snapshots < Math.Max(2, swag.DeviationColumns))
            throw new ArgumentException($"{options.Steps} steps with a snapshot every {swag.Every} give {snapshots} snapshots; "
                + $"SWAG needs at least {Math.Max(2, swag.DeviationColumns)} (K = {swag.DeviationColumns}).");

        var names = start.Modules.SelectMany(m => new[] { m.NameA, m.NameB }).ToList();
        var sum = new Dictionary<string, Tensor>();
        var sumSquares = new Dictionary<string, Tensor>();
        var deviations = new Dictionary<string, Queue<Tensor>>();
        int taken = 0;
        void Snapshot(int step, LoraAdapter live)
        {
            if (step % swag.Every != 0) return;
            taken++;
            foreach (var m in live.Modules)
            {
                foreach (var (name, weight) in new[] { (m.NameA, m.A), (m.NameB, m.B) })
                {
                    var theta = weight.detach().to(ScalarType.Float64, CPU).clone();
                    sum[name] = sum.TryGetValue(name, out var s) ? (s + theta).DetachFromDisposeScope() : theta.DetachFromDisposeScope();
                    sumSquares[name] = sumSquares.TryGetValue(name, out var q) ? (q + theta.square()).DetachFromDisposeScope() : theta.square().DetachFromDisposeScope();
                    if (swag.DeviationColumns == 0) continue;
                    var queue = deviations.TryGetValue(name, out var d) ? d : deviations[name] = new Queue<Tensor>();
                    queue.Enqueue((theta - sum[name] / taken).DetachFromDisposeScope());
                    if (queue.Count > swag.DeviationColumns) queue.Dequeue().Dispose();
                }
            }
        }

        var (_, log) = LoraTrainer.Continue(model, start, prompts, labels, classIndices, options, progress, Snapshot);
        var moments = names.ToDictionary(n => n, n => new SwagMoments(sum[n] / taken, sumSquares[n] / taken,
            swag.DeviationColumns > 0 ? stack(deviations[n].ToList()) : null));
        var mean = new LoraAdapter(start.Id, start.Config, start.Modules.Select(m => new LoraModule(m.ModulePath,
            moments[m.NameA].Mean.to(m.A.dtype, m.A.device), moments[m.NameB].Mean.to(m.B.dtype, m.B.device), m.Scale)).ToList(), start.SavedModules);
        return (new SwagPosterior(filePath, mean, moments, swag.DeviationColumns, swag.Scale, taken), log);
    }
}
