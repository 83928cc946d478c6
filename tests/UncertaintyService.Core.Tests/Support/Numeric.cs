using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Support;

internal static class Numeric
{
    /// <summary>max |actual - expected| / max |expected|: the relative error bound of DESIGN.md section 7.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        var a = actual.to(ScalarType.Float64);
        var e = expected.to(ScalarType.Float64);
        Assert.Equal(e.shape, a.shape);
        double scale = e.abs().max().item<double>();
        return (a - e).abs().max().item<double>() / Math.Max(scale, 1e-300);
    }

    public static void Close(Tensor actual, Tensor expected, double relative, string what,
        [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        double error = RelativeError(actual, expected);
        // For the README's table of measured reference errors: REFERENCE_ERRORS_LOG=file dotnet test.
        if (Environment.GetEnvironmentVariable("REFERENCE_ERRORS_LOG") is { Length: > 0 } log)
            File.AppendAllText(log, $"{test}\t{what}\t{error:E2}\n");
        Assert.True(error < relative, $"{what}: relative error {error:E2} exceeds {relative:E0}");
    }

    public static double[] Row(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();
}
