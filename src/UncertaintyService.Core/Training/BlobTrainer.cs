using TorchSharp.Modules;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>BLoB's hyperparameters.</summary>
/// <param name="PriorStd">beta: the prior on A is N(0, beta^2) elementwise.</param>
/// <param name="InitialSigma">sigma of A at the start (G starts uniform in [sqrt(sigma/2), sqrt(sigma)] for the square mapping).</param>
/// <param name="KlWeight">Multiplies the KL term (1 is the ELBO).</param>
public sealed record BlobOptions(double PriorStd = 0.2, double InitialSigma = 1e-3, double KlWeight = 1, SigmaMapping Mapping = SigmaMapping.Square);

/// <summary>
/// BLoB (Wang et al., NeurIPS 2024): variational training of a Gaussian over every LoRA A with B
/// deterministic. Each example of a minibatch draws its own A = M + sigma(G) * eps (reparameterised, so
/// gradients reach M and G); the objective per example is the expected negative log-likelihood plus
/// KL(q(A) || N(0, beta^2)) / N, and B keeps the MAP trainer's L2 prior.
/// </summary>
public static class BlobTrainer
{
    public static (BlobPosterior Posterior, TrainingLog Log) Train(LlamaModel model, string id, LoraConfig config, IReadOnlyList<int[]> prompts,
        IReadOnlyList<int> labels, long[] classIndices, LoraTrainingOptions options, BlobOptions blob, string filePath,
        IProgress<(int Step, double Loss)>? progress = null)
    {
        var adapter = LoraTrainer.Trainable(LoraTrainer.Initialise(model, id, config, options.Seed));
        var generator = new Generator(unchecked(options.Seed + 1), CPU);
        var g = adapter.Modules.ToDictionary(m => m.ModulePath, m => new Parameter(InitialG(m.A.shape, blob, generator).to(model.DType, model.Device), requires_grad: true));
        var means = adapter.Modules.Select(m => (Parameter)m.A).ToList();
        var bs = adapter.Modules.Select(m => (Parameter)m.B).ToList();
        var parameters = means.Concat(bs).Concat(g.Values).ToList();
        var classes = tensor(classIndices, device: model.Device);
        double beta = blob.PriorStd;

        var log = MinibatchLoop.Run(model, prompts, labels, options, parameters, batch =>
        {
            long rows = batch.Indices.Count;
            var weights = new Dictionary<string, RowLoraWeights>();
            Tensor kl = zeros(1, dtype: ScalarType.Float64, device: model.Device);
            foreach (var m in adapter.Modules)
            {
                var sigma = BlobPosterior.Sigma(g[m.ModulePath], blob.Mapping);
                var noise = randn(new[] { rows, m.A.shape[0], m.A.shape[1] }, ScalarType.Float64, CPU, generator: generator).to(model.DType, model.Device);
                weights[m.ModulePath] = new RowLoraWeights(m.A.unsqueeze(0) + sigma.unsqueeze(0) * noise, m.B.unsqueeze(0).expand(rows, -1, -1));
                kl += GaussianKl(m.A, sigma, beta).to(ScalarType.Float64);
            }
            var logits = model.Forward(batch.Tokens, adapter.Head, new ForwardContext { Adapter = adapter, RowWeights = weights }).index_select(1, classes);
            var loss = nn.functional.cross_entropy(logits, batch.Targets);
            var objective = loss + (blob.KlWeight / prompts.Count) * kl.to(loss.dtype) + MinibatchLoop.L2Prior(bs, options.PriorPrecision, prompts.Count);
            return (objective, loss);
        }, progress);

        var mean = LoraTrainer.Frozen(adapter);
        var posterior = new BlobPosterior(filePath, mean, g.ToDictionary(p => p.Key, p => p.Value.detach().clone()), blob.Mapping, beta);
        return (posterior, log);
    }

    /// <summary>KL(N(mu, sigma^2) || N(0, beta^2)) summed over elements: log(beta/sigma) + (sigma^2 + mu^2) / (2 beta^2) - 1/2.</summary>
    public static Tensor GaussianKl(Tensor mu, Tensor sigma, double beta) =>
        (Math.Log(beta) - sigma.log() + (sigma.square() + mu.square()) / (2 * beta * beta) - 0.5).sum();

    private static Tensor InitialG(long[] shape, BlobOptions blob, Generator generator)
    {
        var u = rand(shape, ScalarType.Float64, CPU, generator: generator);
        var sigma = blob.InitialSigma * (0.5 + 0.5 * u); // in [sigma/2, sigma]
        return blob.Mapping == SigmaMapping.Square ? sigma.sqrt() : (sigma.exp() - 1).log(); // inverse of softplus
    }
}
