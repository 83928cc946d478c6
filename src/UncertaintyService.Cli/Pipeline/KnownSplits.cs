using UncertaintyService.Data;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>
/// The split names the commands read (train, validation, test, ood). Any other name in a data file is
/// refused, not carried along as an extra evaluated split (a typo such as "dev" or "tset" would
/// otherwise silently drop a validation set or evaluate nothing).
/// </summary>
public static class KnownSplits
{
    public static string? Problem(string? split) =>
        split is not null && TaskSplits.All.Contains(split) ? null
        : $"field 'split': {(split is null ? "missing" : $"'{split}'")} is not one of {string.Join(", ", TaskSplits.All)}";

    /// <summary>Refuses split names given on the command line that the data does not hold.</summary>
    public static void RequirePresent(IEnumerable<string> requested, IReadOnlyList<string> present, string dataPath, string option)
    {
        var missing = requested.Where(s => !present.Contains(s)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"{option} {string.Join(", ", missing)}: not a split of {dataPath} (it has {string.Join(", ", present)})");
    }
}
