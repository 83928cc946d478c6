using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

public sealed class KfacFactorFileTests : IDisposable
{
    private const string FileName = KfacFactorFile.FileName;
    private readonly TempFolder folder = new();
    private readonly LlamaModel model = Tiny.Model(Tiny.Config(), seed: 51);
    private readonly LoraAdapter adapter;
    private readonly string path;

    public KfacFactorFileTests()
    {
        adapter = Tiny.Adapter(model, Tiny.LoraConfig(rank: 2, targets: ["q_proj", "v_proj"]), seed: 52);
        path = folder.File(FileName);
    }

    public void Dispose() => folder.Dispose();

    private LoraModule Module => adapter.Modules[0]; // layer 0 q_proj: A is 2 x 16, B is 16 x 2

    private KfacFactorFile Factors(int? lowRank = null) => Tiny.Factors(adapter, n: 50, lowRank, path: path);

    private LaplaceLoraPosterior Open(double lambda = 1.0) =>
        LaplaceLoraPosterior.Create(model, adapter, KfacFactorFile.Load(path), lambda);

    // Saves the adapter's factors after replacing (or, with null, removing) one LoRA matrix's pair.
    private void SaveWith(string name, KfacModuleFactors? factors)
    {
        var modules = new Dictionary<string, KfacModuleFactors>(Factors().Modules);
        if (factors is null) modules.Remove(name);
        else modules[name] = factors;
        (Factors() with { Modules = modules }).Save();
    }

    private static Dictionary<string, string> StandardMetadata() => new()
    {
        ["format"] = "kfac-v1", ["n_examples"] = "50", ["fisher"] = "exact", ["positions"] = "expand", ["normalisation"] = "expectation",
    };

    [Theory]
    [InlineData(null)] // square factors on both sides
    [InlineData(3)] // tall square roots (16 x 3) on the large side
    public void FactorsAndMetadataRoundTripAndGiveTheSamePosterior(int? lowRank)
    {
        var saved = Factors(lowRank) with { Metadata = new KfacMetadata(1234, FisherKind.Mc, PositionHandling.Reduce) };
        saved.Save();

        var loaded = KfacFactorFile.Load(path);

        Assert.Equal(saved.Metadata, loaded.Metadata);
        Assert.Equal(saved.Modules.Keys.Order(), loaded.Modules.Keys.Order());
        foreach (var (name, factors) in saved.Modules)
        {
            Assert.Equal(factors.InputFactor.shape, loaded.Modules[name].InputFactor.shape);
            Assert.Equal(Numeric.Row(factors.InputFactor), Numeric.Row(loaded.Modules[name].InputFactor));
            Assert.Equal(Numeric.Row(factors.OutputFactor), Numeric.Row(loaded.Modules[name].OutputFactor));
        }
        if (lowRank is { } k)
            Assert.Equal([16, (long)k], loaded.Modules[Module.NameA].InputFactor.shape);
        Assert.Equal(LaplaceLoraPosterior.Create(model, adapter, saved, 0.5).LogDeterminant(0.5),
            LaplaceLoraPosterior.Create(model, adapter, loaded, 0.5).LogDeterminant(0.5));
    }

    [Fact]
    public void ModuleMissingFromTheFileIsRejectedNamingIt()
    {
        SaveWith(Module.NameB, null);

        Rejected.Bundle(() => Open(), FileName, Module.NameB, "missing");
    }

    [Fact]
    public void ModuleTheAdapterLacksIsRejectedNamingIt()
    {
        const string extra = "base_model.model.model.layers.0.mlp.up_proj.lora_A";
        SaveWith(extra, Factors().Modules[Module.NameA]);

        Rejected.Bundle(() => Open(), FileName, extra, "does not have");
    }

    // Each row: which factor of the layer-0 q_proj A matrix to break, and how; a word of the problem.
    // The input factor of A is 16 x 16 (the input side), the output factor 2 x 2 (the rank side).
    public static TheoryData<string, string, string> BadFactors => new()
    {
        { "input", "wrong-size", "rows" },
        { "output", "wrong-size", "rank" },
        { "input", "wide", "tall" },
        { "input", "nan", "NaN" },
        { "output", "infinity", "infinite" },
        { "input", "asymmetric", "not symmetric" },
        { "input", "negative-eigenvalue", "positive semi-definite" },
        { "input", "vector", "matrix" },
    };

    [Theory]
    [MemberData(nameof(BadFactors))]
    public void BadFactorIsRejectedNamingItsKey(string side, string fault, string problem)
    {
        var good = Factors().Modules[Module.NameA];
        var factor = (side == "input" ? good.InputFactor : good.OutputFactor).clone();
        long n = factor.shape[0];
        var bad = fault switch
        {
            "wrong-size" => eye(n + 1, dtype: ScalarType.Float64),
            "wide" => randn(n, n + 3, dtype: ScalarType.Float64),
            "nan" => factor.index_put_(tensor(double.NaN), tensor(0L), tensor(1L)),
            "infinity" => factor.index_put_(tensor(double.PositiveInfinity), tensor(1L), tensor(1L)),
            "asymmetric" => factor.index_put_(factor[0, 1] + 0.1, tensor(0L), tensor(1L)),
            // Symmetric, but one eigenvalue is -0.5 while the largest is 1: not rounding.
            "negative-eigenvalue" => eye(n, dtype: ScalarType.Float64).index_put_(tensor(-0.5), tensor(3L), tensor(3L)),
            "vector" => ones(n, dtype: ScalarType.Float64),
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
        SaveWith(Module.NameA, side == "input" ? good with { InputFactor = bad } : good with { OutputFactor = bad });

        Rejected.Bundle(() => Open(), FileName, $"{Module.NameA}.{side}_factor", problem);
    }

    // Each row: a metadata key, its value (null: removed), and a word of the problem.
    public static TheoryData<string, string?, string> BadMetadata => new()
    {
        { "format", null, "missing" },
        { "format", "kfac-v2", "kfac-v1" },
        { "normalisation", "sum", "expectation" },
        { "normalisation", null, "missing" },
        { "n_examples", "0", "positive integer" },
        { "n_examples", "-5", "positive integer" },
        { "n_examples", "12.5", "positive integer" },
        { "n_examples", "many", "positive integer" },
        { "fisher", "ggn", "exact, mc, empirical" },
        { "fisher", "1", "exact, mc, empirical" }, // an enum's number is not one of its names
        { "fisher", "exact,mc", "exact, mc, empirical" }, // nor is a combination of names
        { "positions", "first", "expand, reduce, last" },
        { "positions", "0", "expand, reduce, last" },
    };

    [Theory]
    [MemberData(nameof(BadMetadata))]
    public void BadMetadataIsRejectedNamingItsKey(string key, string? value, string problem)
    {
        var metadata = StandardMetadata();
        if (value is null) metadata.Remove(key);
        else metadata[key] = value;
        var tensors = Factors().Modules.SelectMany(m => new[]
        {
            KeyValuePair.Create(m.Key + ".input_factor", m.Value.InputFactor),
            KeyValuePair.Create(m.Key + ".output_factor", m.Value.OutputFactor),
        });
        SafeTensorsWriter.Write(path, tensors, metadata);

        Rejected.Bundle(() => Open(), FileName, "__metadata__." + key, problem);
    }

    [Fact]
    public void TensorKeyWithoutAFactorSuffixIsRejectedNamingIt()
    {
        var key = Module.NameA + ".covariance";
        SafeTensorsWriter.Write(path, [KeyValuePair.Create(key, eye(16, dtype: ScalarType.Float64))], StandardMetadata());

        Rejected.Bundle(() => Open(), FileName, key, "input_factor");
    }

    [Fact]
    public void ModuleWithOnlyOneFactorIsRejectedNamingTheMissingOne()
    {
        var good = Factors().Modules[Module.NameA];
        SafeTensorsWriter.Write(path, [KeyValuePair.Create(Module.NameA + ".input_factor", good.InputFactor)], StandardMetadata());

        Rejected.Bundle(() => Open(), FileName, Module.NameA + ".output_factor", "missing");
    }

    [Fact]
    public void MissingFileIsRejectedNamingIt() =>
        Rejected.Bundle(() => Open(), FileName, null, "not found");

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void PriorPrecisionThatIsNotPositiveAndFiniteIsOutOfRange(double lambda)
    {
        Factors().Save();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Open(lambda));
        Assert.Equal("priorPrecision", ex.ParamName);
    }
}
