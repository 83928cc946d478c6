using TorchSharp;

namespace UncertaintyService.Core.Tests;

public class TorchSharpLoadsTests
{
    [Fact]
    public void NativeLibraryLoadsAndComputes()
    {
        using var a = torch.tensor(new double[] { 1, 2, 3, 4 }, 2, 2);
        using var product = a.matmul(a);
        Assert.Equal(new double[] { 7, 10, 15, 22 }, product.data<double>().ToArray());
    }
}
