using UncertaintyService.Api.Serving;
using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Api.Tests;

public class LoadRetryTests
{
    [Fact]
    public void TransientIoIsRetriedUntilItSucceeds()
    {
        int calls = 0;
        var result = LoadRetry.Create(attempts: 3, TimeSpan.Zero).Execute(() =>
        {
            if (++calls < 3) throw new IOException("resource temporarily unavailable");
            return "loaded";
        });
        Assert.Equal("loaded", result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public void TransientIoGivesUpAfterTheConfiguredAttempts()
    {
        int calls = 0;
        Assert.Throws<IOException>(() => LoadRetry.Create(attempts: 2, TimeSpan.Zero).Execute(() =>
        {
            calls++;
            throw new IOException("still failing");
        }));
        Assert.Equal(2, calls);
    }

    public static TheoryData<Exception> Permanent => new()
    {
        new SafeTensorsFormatException("model.safetensors", "w", "header length past the end"),
        new FileNotFoundException("missing", "config.json"),
        new DirectoryNotFoundException("no base/"),
        new Core.Formats.BundleFormatException("config.json", "model_type", "not supported"),
    };

    [Theory]
    [MemberData(nameof(Permanent))]
    public void BrokenOrMissingFilesAreNotRetried(Exception permanent)
    {
        int calls = 0;
        Assert.ThrowsAny<Exception>(() => LoadRetry.Create(attempts: 3, TimeSpan.Zero).Execute(() =>
        {
            calls++;
            throw permanent;
        }));
        Assert.Equal(1, calls);
    }
}
