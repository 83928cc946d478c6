using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Synthetic;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Lora;

public class NonFiniteAdapterTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void AdapterWeightThatIsNotFiniteIsRejectedByName(double poison)
    {
        var model = Tiny.Model(Tiny.Config());
        var config = Tiny.LoraConfig();
        var tensors = RandomWeights.Lora(config, model, seed: 3);
        const string key = "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight";
        tensors[key][0, 0] = tensor(poison);

        var error = Assert.Throws<BundleFormatException>(() =>
            LoraAdapterBuilder.Build("x", config, new InMemoryTensorSource(tensors, "adapter_model.safetensors"), model));
        Assert.Equal(key, error.Key);
        Assert.Contains("NaN or infinite", error.Message);
    }
}
