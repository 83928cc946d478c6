using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.Fetching;

public sealed class ChecksumAndCommandTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    // SHA-256 of the three bytes "abc" (FIPS 180-2, appendix B.1).
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void MatchingHashPasses()
    {
        var file = folder.Write("abc.txt", "abc");

        Assert.Equal(AbcSha256, Sha256File.Of(file));
        Sha256File.Verify(file, AbcSha256.ToUpperInvariant()); // hex case does not matter
    }

    [Fact]
    public void MismatchNamesTheFileAndBothHashes()
    {
        var file = folder.Write("wordnet-base_1%3a3.0-37_all.deb", "not the package");
        var actual = Sha256File.Of(file);

        var ex = Assert.Throws<ChecksumMismatchException>(() => Sha256File.Verify(file, AbcSha256));

        Assert.Equal(file, ex.FilePath);
        Assert.Equal(AbcSha256, ex.ExpectedSha256);
        Assert.Equal(actual, ex.ActualSha256);
        Assert.Contains(file, ex.Message);
        Assert.Contains($"expected {AbcSha256}", ex.Message);
        Assert.Contains($"actual {actual}", ex.Message);
    }

    [Fact]
    public void SuccessfulCommandReturnsItsOutput()
    {
        Assert.Equal("hello\n", ExternalCommand.Run("sh", ["-c", "echo hello"], folder.Path));
    }

    [Fact]
    public void FailingCommandReportsTheCommandItsExitCodeAndStderr()
    {
        var ex = Assert.Throws<ExternalCommandException>(() =>
            ExternalCommand.Run("sh", ["-c", "echo E: Unable to locate package wordnet-base >&2; exit 100"], folder.Path));

        Assert.Equal(100, ex.ExitCode);
        Assert.StartsWith("sh -c 'echo E: Unable", ex.CommandLine);
        Assert.Contains("`sh -c 'echo E: Unable to locate package wordnet-base >&2; exit 100'` failed with exit code 100", ex.Message);
        Assert.Contains("E: Unable to locate package wordnet-base", ex.Message);
    }

    [Fact]
    public void RealToolFailureCarriesItsOwnMessage()
    {
        var missing = folder.File("missing.tgz");

        var ex = Assert.Throws<ExternalCommandException>(() => ExternalCommand.Run("tar", ["-xzf", missing, "-C", folder.Path], folder.Path));

        Assert.Contains($"`tar -xzf {missing} -C {folder.Path}`", ex.Message);
        Assert.Contains("missing.tgz", ex.StandardError);
    }

    [Fact]
    public void ProgramThatDoesNotExistIsReportedByName()
    {
        var ex = Assert.Throws<ExternalCommandException>(() => ExternalCommand.Run("no-such-package-tool", ["pack"], folder.Path));

        Assert.Null(ex.ExitCode);
        Assert.Contains("`no-such-package-tool pack` could not be started", ex.Message);
    }

    [Fact]
    public void HungCommandIsKilledAtTheTimeout()
    {
        var ex = Assert.Throws<ExternalCommandException>(() =>
            ExternalCommand.Run("sleep", ["30"], folder.Path, TimeSpan.FromMilliseconds(200)));

        Assert.Contains("`sleep 30` timed out", ex.Message);
    }
}
