using TorchSharp.Modules;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>One optimiser step's minibatch: the padded prompts, their class targets and which examples they are.</summary>
public sealed record TrainingBatch(TokenBatch Tokens, Tensor Targets, int Step, IReadOnlyList<int> Indices, IReadOnlyList<long> Lengths);

/// <summary>
/// The minibatch loop every LoRA trainer shares: shuffled epochs from the seed, AdamW without decay
/// (priors are terms of the objective), the objective's backward and step, loss per step. What the
/// objective is (MAP, BLoB's ELBO, SVGD's surrogate) is the caller's.
/// </summary>
public static class MinibatchLoop
{
    /// <param name="objective">Per batch: the tensor to minimise and the data loss to log.</param>
    /// <param name="afterStep">Called with the number of steps done, outside the step's dispose scope (SWAG takes snapshots here).</param>
    public static TrainingLog Run(LlamaModel model, IReadOnlyList<int[]> prompts, IReadOnlyList<int> labels, LoraTrainingOptions options,
        IReadOnlyList<Parameter> parameters, Func<TrainingBatch, (Tensor Objective, Tensor Loss)> objective,
        IProgress<(int Step, double Loss)>? progress = null, Action<int>? afterStep = null)
    {
        if (prompts.Count == 0 || prompts.Count != labels.Count)
            throw new ArgumentException($"Need as many labels as prompts (got {prompts.Count} prompts, {labels.Count} labels).");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var optimizer = optim.AdamW(parameters, options.LearningRate, weight_decay: 0);
        var order = new Random((int)(options.Seed & 0x7fffffff));
        var shuffled = Enumerable.Range(0, prompts.Count).ToArray();
        int cursor = shuffled.Length;
        var losses = new List<double>(options.Steps);

        for (int step = 0; step < options.Steps; step++)
        {
            using (var scope = NewDisposeScope())
            {
                var indices = new List<int>(options.BatchSize);
                while (indices.Count < Math.Min(options.BatchSize, prompts.Count))
                {
                    if (cursor == shuffled.Length)
                    {
                        order.Shuffle(shuffled);
                        cursor = 0;
                    }
                    indices.Add(shuffled[cursor++]);
                }
                var tokens = TokenBatch.Create(indices.Select(i => (IReadOnlyList<int>)prompts[i]).ToList(), model.Device);
                var targets = tensor(indices.Select(i => (long)labels[i]).ToArray(), device: model.Device);
                var (value, loss) = objective(new TrainingBatch(tokens, targets, step, indices, indices.Select(i => (long)prompts[i].Length).ToList()));

                optimizer.zero_grad();
                value.backward();
                optimizer.step();
                double logged = loss.to(ScalarType.Float64).item<double>();
                losses.Add(logged);
                progress?.Report((step + 1, logged));
            }
            afterStep?.Invoke(step + 1);
        }
        return new TrainingLog(losses, clock.Elapsed);
    }

    /// <summary>lambda/(2N) sum ||theta||^2: the Gaussian prior N(0, 1/lambda) as a per-example objective term.</summary>
    public static Tensor L2Prior(IEnumerable<Tensor> parameters, double priorPrecision, int examples) =>
        parameters.Select(p => p.square().sum()).Aggregate((a, b) => a + b) * (priorPrecision / (2.0 * examples));

    /// <summary>Seeds for training-time dropout: one stream per (seed, step, row).</summary>
    public static IReadOnlyList<ulong> DropoutSeeds(ulong seed, int step, int rows) =>
        Enumerable.Range(0, rows).Select(r => Mix(unchecked(seed * 1_000_003UL + (ulong)step), (ulong)r)).ToList();

    private static ulong Mix(ulong a, ulong b)
    {
        ulong z = unchecked(a * 0x9E3779B97F4A7C15UL + b + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
