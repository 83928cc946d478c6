using TorchSharp.Modules;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>
/// Stein variational gradient descent (Liu and Wang, 2016) over K LoRA particles: every step each
/// particle's gradient of the log posterior on the same minibatch, then
/// phi(theta_i) = 1/K sum_j [k(theta_j, theta_i) grad log p(theta_j) + grad_theta_j k(theta_j, theta_i)]
/// with the RBF kernel k = exp(-||theta_j - theta_i||^2 / h), h = median^2 / log(K + 1). The optimiser
/// steps along phi / N (the per-example scale the MAP trainer's learning rate is tuned for).
/// </summary>
public static class SvgdTrainer
{
    public static (ParticlePosterior Posterior, TrainingLog Log) Train(LlamaModel model, string id, LoraConfig config, IReadOnlyList<int[]> prompts,
        IReadOnlyList<int> labels, long[] classIndices, LoraTrainingOptions options, int particles, string filePath,
        IProgress<(int Step, double Loss)>? progress = null)
    {
        if (particles < 2) throw new ArgumentOutOfRangeException(nameof(particles), particles, "SVGD needs at least two particles.");
        var adapters = Enumerable.Range(0, particles)
            .Select(k => LoraTrainer.Trainable(LoraTrainer.Initialise(model, id, config, unchecked(options.Seed + (ulong)k)))).ToList();
        var perParticle = adapters.Select(a => a.Modules.SelectMany(m => new[] { (Parameter)m.A, (Parameter)m.B }).ToList()).ToList();
        var classes = tensor(classIndices, device: model.Device);
        int n = prompts.Count;

        var log = MinibatchLoop.Run(model, prompts, labels, options, perParticle.SelectMany(p => p).ToList(), batch =>
        {
            var losses = new List<Tensor>();
            var scores = new List<Tensor>(); // grad log p(theta_k | D), flattened, estimated from the minibatch
            foreach (var (adapter, parameters) in adapters.Zip(perParticle))
            {
                var logits = model.Forward(batch.Tokens, adapter.Head, new ForwardContext { Adapter = adapter }).index_select(1, classes);
                var loss = nn.functional.cross_entropy(logits, batch.Targets);
                var negativeLogPosterior = n * loss + MinibatchLoop.L2Prior(parameters, options.PriorPrecision, 1);
                var gradients = autograd.grad([negativeLogPosterior], parameters.Cast<Tensor>().ToList());
                scores.Add(-cat(gradients.Select(x => x.flatten()).ToList()).to(ScalarType.Float64));
                losses.Add(loss.detach());
            }
            var theta = stack(perParticle.Select(p => cat(p.Select(x => x.detach().flatten()).ToList())).ToList()).to(ScalarType.Float64);
            var phi = SteinDirection(theta, stack(scores));
            // Minimising -<phi_i / N, theta_i> steps every particle along its Stein direction.
            var surrogate = zeros(1, dtype: theta.dtype, device: theta.device);
            for (int k = 0; k < particles; k++)
                surrogate -= (cat(perParticle[k].Select(x => x.flatten()).ToList()).to(ScalarType.Float64) * (phi[k] / n)).sum();
            return (surrogate, stack(losses).mean());
        }, progress);

        return (ParticlePosterior.FromMembers(filePath, adapters.Select(LoraTrainer.Frozen).ToList(), ParticleTraining.Svgd), log);
    }

    /// <summary>
    /// phi (K, P) for particles theta (K, P) with scores grad log p (K, P): the kernel-weighted scores
    /// that pull particles to high posterior density plus the kernel's gradient that pushes them apart.
    /// </summary>
    public static Tensor SteinDirection(Tensor theta, Tensor scores)
    {
        long k = theta.shape[0];
        var distances = cdist(theta, theta).square(); // (K, K) squared distances
        var median = distances.flatten().median().item<double>();
        double h = Math.Max(median, 1e-12) / Math.Log(k + 1);
        var kernel = (-distances / h).exp(); // symmetric: k(theta_j, theta_i)
        // sum_j grad_theta_j k(theta_j, theta_i) = sum_j (2/h) (theta_i - theta_j) k_ji
        var repulsion = (2 / h) * (kernel.sum(1, keepdim: true) * theta - kernel.matmul(theta));
        return (kernel.matmul(scores) + repulsion) / k;
    }
}
