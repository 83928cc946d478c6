using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>
/// What loading real-sized factors changes: files read one factor at a time, input factors shared by
/// the matrices that see the same activations, eigenvectors kept in float32.
/// </summary>
public sealed class KfacAtScaleTests : IDisposable
{
    private static readonly long[] Classes = [3, 8, 13];
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData(3)]
    public void Float32EigenvectorsKeepTheCovarianceWithinOneMillionth(int? lowRank)
    {
        var model = Tiny.Model(Tiny.Config(), seed: 61);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 62);
        var factors = Tiny.Factors(adapter, n: 200, lowRank: lowRank);
        var exact = LaplaceLoraPosterior.Create(model, adapter, factors, 0.5);
        var single = LaplaceLoraPosterior.Create(model, adapter, factors, 0.5, ScalarType.Float32);
        var batch = TokenBatch.Create(Tiny.Prompts(40, 5, 8, 3), CPU);
        var jacobian = exact.JacobianMean(batch, tensor(Classes));
        Numeric.Close(single.Variance(jacobian), exact.Variance(jacobian), 1e-6, $"float32 eigenvectors, {(lowRank is null ? "square" : "low-rank")} factors");
    }

    [Fact]
    public void FittedQkvAndGateUpStoreOneInputFactorEachAndServeTheSamePosterior()
    {
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var path = folder.File(KfacFactorFile.FileName);
        var fit = KfacFitter.Fit(model, adapter, Tiny.Prompts(model.Config.VocabSize, 3, 6, 2), [0, 2, 3], classes,
            new KfacFitOptions(FisherKind.Exact, PositionHandling.Expand, null, BatchSize: 2), path);

        using var reader = KfacFactorReader.Open(path);
        using (var file = SafeTensorsFile.Open(path))
        {
            foreach (var layer in new[] { 0, 1 })
            {
                string q = $"base_model.model.model.layers.{layer}.self_attn.q_proj.lora_A", k = q.Replace("q_proj", "k_proj"), v = q.Replace("q_proj", "v_proj");
                string gate = $"base_model.model.model.layers.{layer}.mlp.gate_proj.lora_A", up = gate.Replace("gate_proj", "up_proj");
                Assert.Equal(reader.KeyOf(k, input: true), reader.KeyOf(q, input: true));
                Assert.Equal(reader.KeyOf(v, input: true), reader.KeyOf(q, input: true));
                Assert.Equal(reader.KeyOf(up, input: true), reader.KeyOf(gate, input: true));
                Assert.NotEqual(reader.KeyOf(k, input: false), reader.KeyOf(q, input: false));
                Assert.Equal(1, new[] { q, k, v }.Count(m => file.Contains(m + ".input_factor")));
                Assert.Equal(1, new[] { gate, up }.Count(m => file.Contains(m + ".input_factor")));
            }
        }
        var streamed = LaplaceLoraPosterior.Create(model, adapter, reader, 0.8);
        var inMemory = LaplaceLoraPosterior.Create(model, adapter, fit.Factors, 0.8);
        var jacobian = inMemory.JacobianMean(TokenBatch.Create(Tiny.Prompts(model.Config.VocabSize, 4, 7), CPU), tensor(classes));
        Numeric.Close(streamed.Variance(jacobian), inMemory.Variance(jacobian), 1e-12, "streamed file with shared input factors");
        Assert.Equal(inMemory.LogDeterminant(0.8), streamed.LogDeterminant(0.8), 10);
    }

    [Fact]
    public void ASharedInputNamingAMissingFactorIsRejectedByKey()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 63);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(targets: ["q_proj"]), seed: 64);
        var factors = Tiny.Factors(adapter);
        var path = folder.File(KfacFactorFile.FileName);
        var module = adapter.Modules[0].NameA;
        var tensors = factors.Modules.SelectMany(m => new[]
        {
            KeyValuePair.Create(m.Key + ".output_factor", m.Value.OutputFactor),
        }.Concat(m.Key == module ? [] : [KeyValuePair.Create(m.Key + ".input_factor", m.Value.InputFactor)]));
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = "kfac-v1", ["n_examples"] = "50", ["fisher"] = "exact", ["positions"] = "expand", ["normalisation"] = "expectation",
            ["shared_input_factors"] = $"{{\"{module}\": \"nowhere\"}}",
        });
        Rejected.Bundle(() => KfacFactorReader.Open(path), KfacFactorFile.FileName, $"__metadata__.shared_input_factors.{module}", "no stored input factor");
    }
}
