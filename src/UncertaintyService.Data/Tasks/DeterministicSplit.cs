namespace UncertaintyService.Data;

/// <summary>
/// Seeded, stratified splitting. Each stratum (a class) is shuffled by <see cref="StableHash"/>; item i
/// of a stratum of n sits at (i + 0.5) / n, and all strata merge by that position, so every prefix of
/// the merged order holds each class in its overall proportion. Splits are then consecutive slices:
/// the same seed and items give the same splits anywhere, and a larger train size only appends.
/// </summary>
public static class DeterministicSplit
{
    public static IReadOnlyList<T> StratifiedOrder<T>(
        IEnumerable<T> items, Func<T, string> key, Func<T, string> stratum, int seed, string purpose) =>
        items
            .GroupBy(stratum, StringComparer.Ordinal)
            .SelectMany(group =>
            {
                var shuffled = StableHash.Shuffle(group, key, seed, purpose);
                return shuffled.Select((item, i) => (Item: item, Position: (i + 0.5) / shuffled.Count));
            })
            .OrderBy(x => x.Position)
            .ThenBy(x => StableHash.Of(seed, purpose, key(x.Item)))
            .ThenBy(x => key(x.Item), StringComparer.Ordinal)
            .Select(x => x.Item)
            .ToList();

    /// <summary>
    /// Slices an ordered pool into test (first), validation, then train (the next <see cref="SplitSizes.Train"/>,
    /// or all the rest). Test and validation must be filled in full; train must not end up empty.
    /// </summary>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Validation, IReadOnlyList<T> Test) Slice<T>(
        IReadOnlyList<T> ordered, SplitSizes sizes)
    {
        var heldOut = sizes.Test + sizes.Validation;
        if (sizes.Test < 0 || sizes.Validation < 0 || sizes.Train < 0 || sizes.Ood < 0)
            throw new ArgumentOutOfRangeException(nameof(sizes), sizes, "split sizes must not be negative");
        if (ordered.Count <= heldOut)
            throw new ArgumentException(
                $"{ordered.Count} examples cannot fill test ({sizes.Test}) and validation ({sizes.Validation}) and leave any for train.",
                nameof(sizes));
        var test = ordered.Take(sizes.Test).ToList();
        var validation = ordered.Skip(sizes.Test).Take(sizes.Validation).ToList();
        var train = ordered.Skip(heldOut).Take(sizes.Train ?? int.MaxValue).ToList();
        return (train, validation, test);
    }

    /// <summary>
    /// Keeps one item per text: the first when every item with that text has the same label, none when
    /// they disagree (the text alone cannot tell the answer, so it would only teach noise).
    /// </summary>
    public static IReadOnlyList<T> UniqueByText<T>(IEnumerable<T> items, Func<T, string> text, Func<T, string> label)
    {
        var list = items.ToList();
        var labelsByText = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            if (!labelsByText.TryGetValue(text(item), out var labels))
                labelsByText[text(item)] = labels = new HashSet<string>(StringComparer.Ordinal);
            labels.Add(label(item));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Iterates the input list, never the dictionary, so the result's order is the input's.
        return list.Where(item => labelsByText[text(item)].Count == 1 && seen.Add(text(item))).ToList();
    }
}
