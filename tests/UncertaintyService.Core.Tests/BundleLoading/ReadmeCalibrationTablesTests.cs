using System.Diagnostics;
using UncertaintyService.Tests.Shared;

namespace UncertaintyService.Core.Tests.BundleLoading;

/// <summary>
/// README's calibration tables are what tools/calibration-tables.py prints from the committed bundle's
/// calibration.json files, so re-evaluating the bundle without regenerating them fails here.
/// </summary>
public class ReadmeCalibrationTablesTests
{
    [Fact]
    public async Task ReadmeTablesAreTheCommittedReports()
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryFiles.Path("."),
        };
        foreach (var argument in new[] { "tools/calibration-tables.py", "models/demo" }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"tools/calibration-tables.py failed:\n{await errors}");

        // The script prints the baselines table, the reward table and a line on the votes' entropy, blank lines between.
        var printed = (await output).Replace("\r\n", "\n").Split("\n\n");
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
