using static TorchSharp.torch;

namespace UncertaintyService.Core.Execution;

/// <summary>
/// Something that owns native tensors (a model, an adapter, a posterior) and frees them when disposed
/// instead of leaving device memory to finalizers. <see cref="OwnedTensors"/> lists exactly what it
/// keeps: what it shares with something else (an adapter's base model) is not listed.
/// </summary>
public interface ITensorOwner : IDisposable
{
    IEnumerable<Tensor> OwnedTensors();
}

public static class TensorOwner
{
    /// <summary>
    /// Runs <paramref name="build"/> in its own dispose scope and keeps only what the result owns:
    /// temporaries of the build (float64 copies made while converting, factors already decomposed)
    /// are freed when it returns, and if it throws, everything it allocated is freed with them.
    /// </summary>
    public static T Build<T>(Func<T> build) where T : ITensorOwner
    {
        using var scope = NewDisposeScope();
        var built = build();
        foreach (var tensor in built.OwnedTensors())
            tensor.DetachFromDisposeScope();
        return built;
    }

    /// <summary>Disposes every owned tensor (a tensor listed twice is disposed once; disposing is idempotent).</summary>
    public static void DisposeAll(ITensorOwner owner)
    {
        foreach (var tensor in owner.OwnedTensors())
            tensor.Dispose();
    }
}
