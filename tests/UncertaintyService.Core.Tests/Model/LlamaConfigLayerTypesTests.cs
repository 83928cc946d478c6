using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Model;

namespace UncertaintyService.Core.Tests.Model;

public class LlamaConfigLayerTypesTests
{
    private const string Base = """
        {"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":2,
         "num_attention_heads":2,"num_key_value_heads":1,"use_sliding_window":false,"sliding_window":4096,
        """;

    [Fact]
    public void AllFullAttentionLayersBind()
    {
        var config = LlamaConfig.Parse(Base + "\"layer_types\":[\"full_attention\",\"full_attention\"]}", "config.json");
        Assert.Equal(["full_attention", "full_attention"], config.LayerTypes);
    }

    [Theory]
    [InlineData("[\"full_attention\",\"sliding_attention\"]", "per-layer attention kinds")]
    [InlineData("[\"full_attention\"]", "lists 1 layers")]
    public void LayerTypesTheModelCannotHonourAreRejectedByName(string layerTypes, string problem)
    {
        var error = Assert.Throws<BundleFormatException>(() => LlamaConfig.Parse(Base + $"\"layer_types\":{layerTypes}}}", "config.json"));
        Assert.Equal("layer_types", error.Key);
        Assert.Contains(problem, error.Message);
    }
}
