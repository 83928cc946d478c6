using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>
/// Obviously-correct, expensive versions of the Laplace quantities: Jacobians from autograd over each
/// LoRA parameter, the dense P x P posterior from the factors, dense log-determinants.
/// </summary>
internal static class DenseReference
{
    /// <summary>
    /// d logit_c / d Theta for one prompt by autograd over leaf copies of every LoRA matrix:
    /// per module side a (C, D, r) tensor in Theta orientation (A^T, B).
    /// </summary>
    public static Dictionary<(string, LoraSide), Tensor> AutogradJacobian(LlamaModel model, LoraAdapter adapter, int[] prompt, long[] classes)
    {
        var leaves = adapter.Modules
            .Select(m => new LoraModule(m.ModulePath, m.A.detach().clone().requires_grad_(true), m.B.detach().clone().requires_grad_(true), m.Scale))
            .ToList();
        var differentiable = new LoraAdapter(adapter.Id, adapter.Config, leaves, adapter.SavedModules);
        var logits = model.Forward(TokenBatch.Create([prompt], CPU), adapter.Head, new ForwardContext { Adapter = differentiable })[0];
        var parameters = leaves.SelectMany(m => new[] { m.A, m.B }).ToList();

        var rows = leaves.SelectMany(m => new[] { (m.ModulePath, LoraSide.A), (m.ModulePath, LoraSide.B) })
            .ToDictionary(k => k, _ => new List<Tensor>());
        foreach (var c in classes)
        {
            var gradients = autograd.grad([logits[c]], parameters, retain_graph: true, allow_unused: true);
            for (int i = 0; i < leaves.Count; i++)
            {
                var ga = gradients[2 * i] is { IsInvalid: false } a ? a : zeros_like(leaves[i].A);
                var gb = gradients[2 * i + 1] is { IsInvalid: false } b ? b : zeros_like(leaves[i].B);
                rows[(leaves[i].ModulePath, LoraSide.A)].Add(ga.T.detach());
                rows[(leaves[i].ModulePath, LoraSide.B)].Add(gb.detach());
            }
        }
        return rows.ToDictionary(r => r.Key, r => stack(r.Value));
    }

    /// <summary>The dense Fisher block N (rows kron columns) in row-major vec(Theta).</summary>
    public static Tensor DenseFisher(KfacFactorFile factors, string name, LoraSide side)
    {
        var pair = factors.Modules[name];
        var (rows, columns) = side == LoraSide.A ? (pair.InputFactor, pair.OutputFactor) : (pair.OutputFactor, pair.InputFactor);
        return factors.Metadata.NExamples * kron(KroneckerFactor.ToDense(rows), KroneckerFactor.ToDense(columns));
    }

    /// <summary>f_var = sum over blocks of J (F + lambda I)^-1 J^T, the inverse formed explicitly (Cholesky, float64).</summary>
    public static Tensor Variance(LoraAdapter adapter, KfacFactorFile factors, Dictionary<(string, LoraSide), Tensor> jacobian, double lambda)
    {
        Tensor? total = null;
        foreach (var m in adapter.Modules)
        {
            foreach (var (side, name) in new[] { (LoraSide.A, m.NameA), (LoraSide.B, m.NameB) })
            {
                var j = jacobian[(m.ModulePath, side)].flatten(1); // (C, D r)
                var precision = DenseFisher(factors, name, side) + lambda * eye(j.shape[1], dtype: ScalarType.Float64);
                var covariance = cholesky_inverse(linalg.cholesky(precision));
                var term = j.matmul(covariance).matmul(j.T);
                total = total is null ? term : total + term;
            }
        }
        return total!;
    }

    /// <summary>sum over blocks of log det(F + lambda I), dense.</summary>
    public static double LogDeterminant(LoraAdapter adapter, KfacFactorFile factors, double lambda) =>
        adapter.Modules.SelectMany(m => new[] { (LoraSide.A, m.NameA), (LoraSide.B, m.NameB) })
            .Sum(block =>
            {
                var fisher = DenseFisher(factors, block.Item2, block.Item1);
                var precision = fisher + lambda * eye(fisher.shape[0], dtype: ScalarType.Float64);
                return 2 * linalg.cholesky(precision).diagonal().log().sum().item<double>();
            });
}
