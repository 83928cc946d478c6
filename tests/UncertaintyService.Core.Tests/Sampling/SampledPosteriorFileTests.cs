using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.SafeTensors;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tests.Support;
using UncertaintyService.Tests.Shared;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Sampling;

/// <summary>Every sampled posterior's file round-trips through write and load; broken files name file, key and problem.</summary>
public class SampledPosteriorFileTests
{
    private static LoraAdapter Adapter() =>
        Tiny.Adapter(Tiny.Model(Tiny.Config()), Tiny.LoraConfig(targets: ["q_proj", "v_proj", "lm_head"]), seed: 60);

    // Files store float32: a round trip is exact to float32 rounding.
    private static void Same(Tensor expected, Tensor actual, string what) => Numeric.Close(actual, expected, 1e-6, what);

    [Fact]
    public void BlobRoundTrips()
    {
        using var folder = new TempFolder();
        var adapter = Adapter();
        var blob = TinySampled.Blob(adapter, SigmaMapping.Softplus);
        blob.Save(folder.File("blob.safetensors"));
        var loaded = BlobPosterior.Load(folder.File("blob.safetensors"), adapter);
        Assert.Equal(SigmaMapping.Softplus, loaded.Mapping);
        Assert.Equal(blob.PriorStd, loaded.PriorStd);
        foreach (var m in adapter.Modules)
        {
            Same(blob.Adapter.Module(m.ModulePath)!.A, loaded.Adapter.Module(m.ModulePath)!.A, "mean A");
            Same(blob.Adapter.Module(m.ModulePath)!.B, loaded.Adapter.Module(m.ModulePath)!.B, "B");
            Same(blob.SigmaOf(m.ModulePath), loaded.SigmaOf(m.ModulePath), "sigma");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void SwagRoundTrips(int k)
    {
        using var folder = new TempFolder();
        var adapter = Adapter();
        var swag = TinySampled.Swag(adapter, k);
        swag.Save(folder.File("swag.safetensors"));
        var loaded = SwagPosterior.Load(folder.File("swag.safetensors"), adapter);
        Assert.Equal((k, 0.5, swag.Snapshots), (loaded.DeviationColumns, loaded.Scale, loaded.Snapshots));
        foreach (var (name, m) in swag.Moments)
        {
            Same(m.Mean, loaded.Moments[name].Mean, name + " mean");
            Same(m.SecondMoment, loaded.Moments[name].SecondMoment, name + " sq_mean");
            if (k > 0) Same(m.Deviations!, loaded.Moments[name].Deviations!, name + " deviations");
            else Assert.Null(loaded.Moments[name].Deviations);
        }
    }

    [Theory]
    [InlineData(ParticleTraining.Independent)]
    [InlineData(ParticleTraining.Svgd)]
    public void ParticlesRoundTrip(ParticleTraining training)
    {
        using var folder = new TempFolder();
        var adapter = Adapter();
        var particles = TinySampled.Particles(adapter, 4, training);
        particles.Save(folder.File("particles.safetensors"));
        var loaded = ParticlePosterior.Load(folder.File("particles.safetensors"), adapter, training);
        Assert.Equal((4, training), (loaded.Members, loaded.Training));
        Assert.Equal(training == ParticleTraining.Svgd ? "svgd" : "ensemble", loaded.Method);
        for (int k = 0; k < 4; k++)
            foreach (var m in adapter.Modules)
                Same(particles.Member(k).Module(m.ModulePath)!.A, loaded.Member(k).Module(m.ModulePath)!.A, $"member {k} A");
        Rejected.Bundle(() => ParticlePosterior.Load(folder.File("particles.safetensors"), adapter,
            training == ParticleTraining.Svgd ? ParticleTraining.Independent : ParticleTraining.Svgd), "particles.safetensors", "__metadata__.training", "posterior.json");
    }

    [Fact]
    public void McDropoutRoundTrips()
    {
        using var folder = new TempFolder();
        var adapter = Adapter();
        new McDropoutPosterior("(test)", adapter, 0.1).Save(folder.File("mc_dropout.safetensors"));
        var loaded = McDropoutPosterior.Load(folder.File("mc_dropout.safetensors"), adapter);
        Assert.Equal(0.1, loaded.DropoutProbability);
        foreach (var m in adapter.Modules)
            Same(m.B, loaded.Adapter.Module(m.ModulePath)!.B, "B");
    }

    [Fact]
    public void BrokenFilesNameFileKeyAndProblem()
    {
        using var folder = new TempFolder();
        var adapter = Adapter();
        var module = adapter.Modules[0];
        var good = new Dictionary<string, Tensor>();
        foreach (var m in adapter.Modules)
        {
            good[m.NameA + ".weight"] = m.A.to(ScalarType.Float32);
            good[m.NameA + ".g"] = ones_like(m.A).to(ScalarType.Float32);
            good[m.NameB + ".weight"] = m.B.to(ScalarType.Float32);
        }
        Dictionary<string, string> Meta(string mapping = "square", string prior = "0.5", string format = BlobPosterior.Format) =>
            new() { ["format"] = format, ["sigma_mapping"] = mapping, ["prior_std"] = prior };
        BlobPosterior Write(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
        {
            SafeTensorsWriter.Write(folder.File("blob.safetensors"), tensors, metadata);
            return BlobPosterior.Load(folder.File("blob.safetensors"), adapter);
        }

        Write(good, Meta()); // the good file loads
        Rejected.Bundle(() => Write(good, Meta(format: "swag-v1")), "blob.safetensors", "__metadata__.format", "blob-v1");
        Rejected.Bundle(() => Write(good, Meta(mapping: "exp")), "blob.safetensors", "__metadata__.sigma_mapping", "square or softplus");
        Rejected.Bundle(() => Write(good, Meta(prior: "-1")), "blob.safetensors", "__metadata__.prior_std", "positive");
        Rejected.Bundle(() => Write(good.Where(p => p.Key != module.NameA + ".g").ToDictionary(), Meta()), "blob.safetensors", module.NameA + ".g", "missing");
        Rejected.Bundle(() => Write(new Dictionary<string, Tensor>(good) { [module.NameA + ".g"] = ones(3, 3) }, Meta()),
            "blob.safetensors", module.NameA + ".g", "shape [3, 3]");
        Rejected.Bundle(() => Write(new Dictionary<string, Tensor>(good) { [module.NameA + ".g"] = full_like(good[module.NameA + ".g"], double.NaN) }, Meta()),
            "blob.safetensors", module.NameA + ".g", "NaN");
        Rejected.Bundle(() => Write(new Dictionary<string, Tensor>(good) { ["extra.weight"] = ones(2) }, Meta()), "blob.safetensors", "extra.weight", "no LoRA matrix");
        Rejected.Bundle(() => BlobPosterior.Load(folder.File("absent.safetensors"), adapter), "absent.safetensors", null, "not found");

        var swag = TinySampled.Swag(adapter, 2);
        var name = adapter.Modules[0].NameA;
        var moments = new Dictionary<string, SwagMoments>(swag.Moments) { [name] = swag.Moments[name] with { SecondMoment = swag.Moments[name].Mean.square() - 0.5 } };
        new SwagPosterior("(test)", swag.Adapter, moments, 2, 0.5, 4).Save(folder.File("swag.safetensors"));
        Rejected.Bundle(() => SwagPosterior.Load(folder.File("swag.safetensors"), adapter), "swag.safetensors", name + ".sq_mean", "not a second moment");
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwagPosterior("(test)", swag.Adapter, swag.Moments, 1, 0.5, 4));
    }

    [Fact]
    public void PosteriorJsonListsEveryMethodAndAnAdapterFolderServesEach()
    {
        using var folder = new TempFolder();
        var adapter = Adapter();
        TinySampled.Blob(adapter).Save(folder.File("blob.safetensors"));
        TinySampled.Swag(adapter).Save(folder.File("swag.safetensors"));
        TinySampled.Particles(adapter, 3).Save(folder.File("ensemble.safetensors"));
        TinySampled.Particles(adapter, 2, ParticleTraining.Svgd).Save(folder.File("svgd.safetensors"));
        new McDropoutPosterior("(test)", adapter, 0.2).Save(folder.File("mc_dropout.safetensors"));
        var config = new PosteriorConfig
        {
            Method = "swag",
            Blob = new SampledMethodEntry { File = "blob.safetensors" },
            Swag = new SampledMethodEntry { File = "swag.safetensors", Samples = 20 },
            Ensemble = new SampledMethodEntry { File = "ensemble.safetensors", Samples = 3 },
            Svgd = new SampledMethodEntry { File = "svgd.safetensors", Samples = 2 },
            McDropout = new SampledMethodEntry { File = "mc_dropout.safetensors" },
        };
        config.Save(folder.File(PosteriorConfig.FileName));
        // Only what configures the posterior is written, not what is derived from it.
        var written = File.ReadAllText(folder.File(PosteriorConfig.FileName));
        Assert.DoesNotContain("\"methods\"", written);
        Assert.DoesNotContain("sampled_methods", written);
        var loaded = PosteriorConfig.LoadOrDefault(folder.Path);
        Assert.Equal(["map", "blob", "swag", "ensemble", "svgd", "mc_dropout"], loaded.AvailableMethods());
        var posteriors = SampledPosteriorLoader.LoadAll(folder.Path, loaded, adapter);
        Assert.Equal(["blob", "swag", "ensemble", "svgd", "mc_dropout"], posteriors.Keys);
        Assert.Null(loaded.LoadLaplace(folder.Path, Tiny.Model(Tiny.Config()), adapter));

        var path = folder.File(PosteriorConfig.FileName);
        void Check(string json, string key, params string[] words)
        {
            File.WriteAllText(path, json);
            Rejected.Bundle(() => PosteriorConfig.Load(path), PosteriorConfig.FileName, key, words);
        }
        Check("""{"method": "laplace"}""", "method", "does not configure");
        Check("""{"method": "map", "methods": ["map"]}""", "methods", "");
        Check("""{"method": "blob", "blob": {"file": "../blob.safetensors"}}""", "blob.file", "not a path");
        Check("""{"method": "blob", "blob": {"file": "blob.safetensors", "samples": 0}}""", "blob.samples", "at least 1");
        File.WriteAllText(path, """{"method": "ensemble", "ensemble": {"file": "ensemble.safetensors", "samples": 4}}""");
        Rejected.Bundle(() => SampledPosteriorLoader.LoadAll(folder.Path, PosteriorConfig.Load(path), adapter), PosteriorConfig.FileName,
            "ensemble.samples", "3 members");
    }
}
