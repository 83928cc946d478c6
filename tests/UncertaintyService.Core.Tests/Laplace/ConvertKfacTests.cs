using System.Diagnostics;
using UncertaintyService.Core.Laplace;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>
/// tools/convert_kfac on factors in the Python libraries' own layouts (its unittest, on Debian's
/// python3-torch), and what it writes loaded by the project's reader: every converted file passes the
/// loader's checks (the rank-one input factor included) and its A kron S equals the truth.
/// </summary>
public sealed class ConvertKfacTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void ConvertedFactorsFromEveryLayoutLoadAndEqualTheTruth()
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardError = true,
            WorkingDirectory = RepositoryFiles.Path("tools/convert_kfac"),
        };
        foreach (var argument in new[] { "-m", "unittest", "-v", "test_convert_kfac.py" }) start.ArgumentList.Add(argument);
        start.Environment["KFAC_CONVERTED_DIR"] = folder.Path;
        using var process = Process.Start(start)!;
        string log = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "the converter's tests ran past 3 minutes");
        Assert.True(process.ExitCode == 0, $"python3 -m unittest test_convert_kfac.py (needs python3-torch; bash .ci/run installs it):\n{log}");

        var cases = Directory.GetFiles(folder.Path, "truth-*.safetensors");
        Assert.Equal(6, cases.Length);
        foreach (var truthPath in cases)
        {
            using var scope = NewDisposeScope();
            string converted = Path.Combine(folder.Path, Path.GetFileName(truthPath)["truth-".Length..]);
            var file = KfacFactorFile.Load(converted);
            var truth = KfacFactorFile.Load(truthPath);
            Assert.Equal(truth.Modules.Keys.Order(), file.Modules.Keys.Order());
            foreach (var (module, factors) in file.Modules)
            {
                var a = Dense(KroneckerFactor.Decompose(factors.InputFactor, converted, module, CPU));
                var s = Dense(KroneckerFactor.Decompose(factors.OutputFactor, converted, module, CPU));
                var want = kron(truth.Modules[module].InputFactor, truth.Modules[module].OutputFactor);
                double error = ((kron(a, s) - want).abs().max() / want.abs().max()).item<double>();
                Assert.True(error < 1e-5, $"{Path.GetFileName(converted)} {module}: relative error {error:G3}");
            }
        }
    }

    private static Tensor Dense(FactorEigenbasis basis) => basis.Vectors.matmul(diag(basis.Values)).matmul(basis.Vectors.T);
}
