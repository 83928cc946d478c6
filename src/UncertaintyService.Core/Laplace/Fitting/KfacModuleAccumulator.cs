using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace.Fitting;

/// <summary>
/// The two factor sums of one LoRA matrix: input activations a (x for lora_A, h for lora_B) and
/// output gradients g (d/dh for lora_A, d/du for lora_B), rows formed per the positions mode.
/// </summary>
internal sealed class KfacModuleAccumulator(string name, PositionHandling positions, FactorSum input, FactorSum output)
{
    // Outer-product terms in the input sum: real positions for expand, prompts otherwise.
    private long inputTerms;

    public string Name { get; } = name;

    /// <summary>Adds one batch's activations (B, P, D_in), any float dtype.</summary>
    public void AddInputs(Tensor activations, BatchPositions batch)
    {
        using var scope = NewDisposeScope();
        var rows = batch.Rows(activations.detach().to(ScalarType.Float64), positions, meanOverPositions: true);
        input.Add(rows);
        inputTerms += rows.shape[0];
    }

    /// <summary>Adds one batch's gradients (B, P, D_out) for one back-propagated vector.</summary>
    public void AddOutputGradients(Tensor gradients, BatchPositions batch)
    {
        using var scope = NewDisposeScope();
        output.Add(batch.Rows(gradients.detach().to(ScalarType.Float64), positions, meanOverPositions: false));
    }

    /// <summary>
    /// The factors as expectations: the input sum over its terms (the N R of Eschenhagen et al.'s
    /// 1/(NR) for expand, N otherwise), the output sum over the N examples. A matrix no forward
    /// reached keeps zero factors: its posterior is the prior.
    /// </summary>
    public KfacModuleFactors Finish(long examples) =>
        new(input.Finish(1.0 / Math.Max(inputTerms, 1)), output.Finish(1.0 / examples));
}
