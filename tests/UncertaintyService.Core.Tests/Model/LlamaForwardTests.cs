using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Model;

public class LlamaForwardTests
{
    public static TheoryData<string> Variants => ["llama-gqa", "llama-mha-tied", "qwen2-biases", "linear-rope", "lora-all-projections"];

    private static (LlamaModel Model, Core.Lora.LoraAdapter? Adapter) Build(string variant)
    {
        var config = variant switch
        {
            "llama-mha-tied" => Tiny.Config(heads: 4, kvHeads: 4, tie: true),
            "qwen2-biases" => Tiny.Config(modelType: "qwen2"),
            "linear-rope" => Tiny.Config() with { RopeScaling = new RopeScaling { RopeType = "linear", Factor = 2.5 } },
            _ => Tiny.Config(),
        };
        var model = Tiny.Model(config, seed: 11);
        var adapter = variant == "lora-all-projections" ? Tiny.Adapter(model, Tiny.LoraConfig(rank: 3)) : null;
        return (model, adapter);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ForwardMatchesStepByStepReference(string variant)
    {
        var (model, adapter) = Build(variant);
        var reference = new ReferenceLlama(model, adapter);
        foreach (var prompt in Tiny.Prompts(model.Config.VocabSize, 1, 4, 7))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var batch = TokenBatch.Create([prompt], CPU);
            var actual = model.Forward(batch, ModelHead.LanguageModel, new ForwardContext { Adapter = adapter })[0];
            var expected = tensor(reference.HeadOutputs(prompt, ModelHead.LanguageModel));
            Numeric.Close(actual, expected, 1e-10, $"{variant}, prompt of {prompt.Length} tokens");
        }
    }

    [Theory]
    [InlineData(PaddingSide.Left)]
    [InlineData(PaddingSide.Right)]
    public void PaddedBatchGivesTheLogitsOfEachPromptAlone(PaddingSide side)
    {
        var model = Tiny.Model(Tiny.Config(), seed: 5);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig());
        var context = new ForwardContext { Adapter = adapter };
        var prompts = Tiny.Prompts(model.Config.VocabSize, 3, 7, 1, 5);
        using var noGrad = no_grad();
        var batched = model.Forward(TokenBatch.Create(prompts, CPU, side), ModelHead.LanguageModel, context);
        for (int b = 0; b < prompts.Length; b++)
        {
            var alone = model.Forward(TokenBatch.Create([prompts[b]], CPU), ModelHead.LanguageModel, context)[0];
            Numeric.Close(batched[b], alone, 1e-12, $"prompt {b} ({prompts[b].Length} tokens), {side} padding");
        }
    }

    [Fact]
    public void ScoreHeadReadsTheLastRealToken()
    {
        var config = Tiny.Config(numLabels: 1);
        var model = Tiny.Model(config, seed: 9, withScoreHead: true);
        var reference = new ReferenceLlama(model, null);
        var prompts = Tiny.Prompts(config.VocabSize, 2, 6);
        using var noGrad = no_grad();
        var scores = model.Forward(TokenBatch.Create(prompts, CPU, PaddingSide.Left), ModelHead.Score, ForwardContext.Base);
        for (int b = 0; b < prompts.Length; b++)
            Numeric.Close(scores[b], tensor(reference.HeadOutputs(prompts[b], ModelHead.Score)), 1e-10, $"prompt {b}");
    }

    [Fact]
    public void SlidingWindowLimitsHowFarBackAttentionLooks()
    {
        var full = Tiny.Model(Tiny.Config(modelType: "mistral"), seed: 4);
        var windowed = Tiny.Model(Tiny.Config(modelType: "mistral") with { SlidingWindow = 3 }, seed: 4);
        using var noGrad = no_grad();
        var shortPrompt = TokenBatch.Create(Tiny.Prompts(40, 3), CPU);
        var longPrompt = TokenBatch.Create(Tiny.Prompts(40, 8), CPU);
        Numeric.Close(windowed.Forward(shortPrompt, ModelHead.LanguageModel, ForwardContext.Base),
            full.Forward(shortPrompt, ModelHead.LanguageModel, ForwardContext.Base), 1e-12, "a prompt inside the window");
        double difference = (windowed.Forward(longPrompt, ModelHead.LanguageModel, ForwardContext.Base)
            - full.Forward(longPrompt, ModelHead.LanguageModel, ForwardContext.Base)).abs().max().item<double>();
        Assert.True(difference > 1e-6, "a prompt longer than the window must see a different context");
    }
}
