namespace UncertaintyService.Core.Tests.BundleLoading;

/// <summary>
/// README's calibration tables are what tools/calibration-tables.py prints from the committed bundle's
/// calibration.json files, so re-evaluating the bundle without regenerating them fails here.
/// </summary>
public class ReadmeCalibrationTablesTests
{
    [Fact]
    public void ReadmeTablesAreTheCommittedReports()
    {
        var run = ExternalProgram.Run("/usr/bin/python3", ["tools/calibration-tables.py", "models/demo"], RepositoryFiles.Path("."), TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, $"tools/calibration-tables.py failed:\n{run.Error}");

        // The script prints the baselines table, the reward table and a line on the votes' entropy, blank lines between.
        var printed = run.Output.Replace("\r\n", "\n").Split("\n\n");
        string readme = File.ReadAllText(RepositoryFiles.Path("README.md")).Replace("\r\n", "\n");
        Assert.Equal(printed[0].Trim(), Between(readme, "baselines-table"));
        Assert.Equal(printed[1].Trim(), Between(readme, "reward-table"));
    }

    private static string Between(string readme, string marker)
    {
        int start = readme.IndexOf($"<!-- {marker} -->", StringComparison.Ordinal);
        int end = readme.IndexOf($"<!-- /{marker} -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"README has <!-- {marker} --> ... <!-- /{marker} -->");
        return readme[(start + $"<!-- {marker} -->".Length)..end].Trim();
    }
}
