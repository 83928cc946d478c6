using System.Diagnostics;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Runs the groups of one linearised posterior (Laplace) that have the same number of texts and
/// outputs: in chunks under the token budget (a group's texts always share a chunk, since their joint
/// covariance needs all their Jacobians at once), per text position one forward with autograd and one
/// backward per output over the chunk, each row reading its own outputs; then the group's joint
/// covariance, block [t, t'] = J_t Sigma J_t'^T. Each chunk's graph and Jacobians are reduced to
/// float64 arrays and freed before the next chunk starts.
/// </summary>
internal static class LinearisedForward
{
    public static void Run(LaplaceLoraPosterior posterior, IReadOnlyList<(int Index, PredictiveGroup Group)> work, TokenBudget budget, EngineProgress progress)
    {
        int texts = work[0].Group.Texts.Count, c = work[0].Group.Outputs.Length, width = texts * c;
        var device = posterior.Model.Device;
        foreach (var (offset, count) in budget.Chunks(work.Select(w => w.Group.Texts.Max(t => t.Count)).ToList(), rowsPerItem: texts))
        {
            var live = new List<(int Index, PredictiveGroup Group)>();
            foreach (var w in work.Skip(offset).Take(count))
            {
                if (w.Group.Cancellation.IsCancellationRequested) progress.Done(w.Index, null);
                else live.Add(w);
            }
            if (live.Count == 0) continue;
            using var scope = NewDisposeScope();
            var outputs = tensor(live.SelectMany(w => w.Group.Outputs).ToArray(), new long[] { live.Count, c }, device: device);
            var jacobians = Enumerable.Range(0, texts)
                .Select(t => posterior.JacobianMean(TokenBatch.Create(live.Select(w => w.Group.Texts[t]).ToList(), device), outputs))
                .ToList();
            var clock = Stopwatch.StartNew();
            var blocks = new double[texts, texts][];
            for (int t = 0; t < texts; t++)
                for (int u = t; u < texts; u++)
                    blocks[t, u] = Flat(t == u ? posterior.Variance(jacobians[t]) : posterior.Covariance(jacobians[t], jacobians[u]));
            progress.Spent(new PhaseTimes(TimeSpan.FromTicks(jacobians.Sum(j => j.ForwardTime.Ticks)), TimeSpan.FromTicks(jacobians.Sum(j => j.BackwardTime.Ticks)),
                clock.Elapsed));
            var logits = jacobians.Select(j => Flat(j.Logits)).ToList();
            for (int b = 0; b < live.Count; b++)
            {
                var mean = new double[width];
                var covariance = new double[width, width];
                for (int t = 0; t < texts; t++)
                {
                    Array.Copy(logits[t], b * c, mean, t * c, c);
                    for (int u = t; u < texts; u++)
                        for (int i = 0; i < c; i++)
                            for (int j = 0; j < c; j++)
                                covariance[u * c + j, t * c + i] = covariance[t * c + i, u * c + j] = blocks[t, u][(b * c + i) * c + j];
                }
                progress.Done(live[b].Index, new GroupMoments(mean, covariance, null));
            }
        }
    }

    private static double[] Flat(Tensor t) => t.detach().to(ScalarType.Float64).cpu().flatten().data<double>().ToArray();
}
