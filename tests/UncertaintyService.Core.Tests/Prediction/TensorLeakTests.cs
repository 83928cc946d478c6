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
