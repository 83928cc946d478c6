namespace UncertaintyService.Data.Tests.Vader;

public sealed class VaderLexiconTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    // Copied byte for byte from vader-sentiment 1.1.3's vader_lexicon.txt (lines 105, 1259, 301, 7001).
    internal static readonly string[] RealLines =
    [
        ":)\t2.0\t1.18322\t[2, 2, 1, 1, 1, 1, 4, 3, 4, 1]",
        "can't stand\t-2.0\t0.63246\t[-2, -2, -2, -1, -1, -2, -3, -2, -2, -3]",
        "lmfao\t2.5\t1.28452\t[3, 2, 3, 3, 3, -1, 4, 2, 3, 2]",
        "unethical\t-2.3\t0.78102\t[-3, -3, -1, -2, -2, -2, -3, -1, -3, -3]",
    ];

    [Fact]
    public void RealLinesParseIntoTheirExactFields()
    {
        var entries = VaderLexicon.Parse(RealLines);

        Assert.Equal([":)", "can't stand", "lmfao", "unethical"], entries.Select(e => e.Token));
        Assert.Equal(2.0, entries[0].Mean);
        Assert.Equal(1.18322, entries[0].Std);
        Assert.Equal([2, 2, 1, 1, 1, 1, 4, 3, 4, 1], entries[0].Ratings);
        Assert.Equal(-2.3, entries[3].Mean);
        Assert.Equal(0.78102, entries[3].Std);
        Assert.Equal([-3, -3, -1, -2, -2, -2, -3, -1, -3, -3], entries[3].Ratings);
    }

    [Theory]
    [InlineData("word\t1.0\t0.5", "expected 4 tab-separated fields (token, mean, std, ratings), found 3")]
    [InlineData("", "expected 4 tab-separated fields")]
    [InlineData("\t1.0\t0.5\t[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "empty token")]
    [InlineData("word\tgood\t0.5\t[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "mean \"good\" is not a number")]
    [InlineData("word\t1.0\t-0.5\t[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "standard deviation \"-0.5\"")]
    [InlineData("word\t1.0\t0.5\t1, 1, 1, 1, 1, 1, 1, 1, 1, 1", "are not a bracketed list")]
    [InlineData("word\t1.0\t0.5\t[1, 1, 1, 1, 1, 1, 1, 1, 1]", "expected 10 ratings, found 9")]
    [InlineData("word\t1.0\t0.5\t[1, 1, 1, 1, 5, 1, 1, 1, 1, 1]", "rating 5 \"5\" is not an integer in [-4, 4]")]
    [InlineData("word\t1.0\t0.5\t[1, 1, 1, 1, 1.5, 1, 1, 1, 1, 1]", "rating 5 \"1.5\"")]
    public void MalformedLineIsNamedByNumberAndProblem(string badLine, string problem)
    {
        var ex = Assert.Throws<FormatException>(() => VaderLexicon.Parse([RealLines[0], RealLines[1], badLine]));

        Assert.StartsWith("vader lexicon line 3: ", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void StatedSummariesAreCheckedAgainstTheRatings()
    {
        var entries = VaderLexicon.Parse(RealLines);

        var mismatches = VaderLexicon.SummaryMismatches(entries);

        // lmfao's ratings average 2.4 with std 1.28062; the file says 2.5 and 1.28452.
        var lmfao = Assert.Single(mismatches);
        Assert.Equal("lmfao", lmfao.Entry.Token);
        Assert.Equal(2.4, lmfao.ComputedMean, 12);
        Assert.Equal(1.28062, lmfao.ComputedStd, 5);
        Assert.True(lmfao.MeanDiffers);
        Assert.True(lmfao.StdDiffers);
    }

    [Fact]
    public void ReadParsesAFile()
    {
        var path = folder.Write("vader_lexicon.txt", string.Join("\n", RealLines) + "\n");

        Assert.Equal(4, VaderLexicon.Read(path).Count);
    }

    [Fact]
    public void CorruptCachedTarballIsReportedByName()
    {
        var cache = new DataCache(folder.Folder("cache"));
        var tarball = Path.Combine(cache.DownloadsFolder, VaderSource.Archive.ArchiveFileName);
        Directory.CreateDirectory(cache.DownloadsFolder);
        File.WriteAllText(tarball, "not the package");

        // The file is present, so no download is tried: the hash check alone must stop the fetch.
        var ex = Assert.Throws<ChecksumMismatchException>(() => VaderSource.Fetch(cache));

        Assert.Equal(tarball, ex.FilePath);
        Assert.Contains(tarball, ex.Message);
        Assert.Equal(VaderSource.TarballSha256, ex.ExpectedSha256);
        Assert.Null(VaderSource.FindCached(cache));
    }
}
