using TorchSharp;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Prediction;

public class TensorLeakTests
{
    [Fact]
    public void HundredPredictionsLeaveNoLiveTensorBehind()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 111);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 112);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, Tiny.Factors(adapter, lowRank: 3), 1.0);
        var prompts = Tiny.Prompts(40, 3, 6);
        long[] labels = [1, 2, 3];
        LaplacePredictor.Predict(posterior, prompts, labels, samples: 50, seed: 1);

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 100; i++)
            LaplacePredictor.Predict(posterior, prompts, labels, samples: 50, seed: (ulong)i);
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(before, after);
    }
}

public class JacobianScopeTests
{
    [Fact]
    public void JacobianOutsideAnyScopeKeepsOnlyItsResultsAlive()
    {
        // Callers that keep Jacobians (validation-NLL tuning) hold no dispose scope of their own.
        var model = Tiny.Model(Tiny.Config(), seed: 113);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 114);
        var batch = Core.Model.TokenBatch.Create(Tiny.Prompts(40, 3, 6), TorchSharp.torch.CPU);
        var classes = TorchSharp.torch.tensor(new long[] { 1, 2, 3 });
        Core.Laplace.LoraJacobian.Compute(model, adapter, batch, classes);

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var jacobian = Core.Laplace.LoraJacobian.Compute(model, adapter, batch, classes);
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(1 + jacobian.Gradients.Count, after - before);
    }
}
