using System.Globalization;
using System.Text.RegularExpressions;

namespace UncertaintyService.Data;

/// <summary>How many pairs each split of a preference task takes; every split is filled in full or the build fails.</summary>
public sealed record PreferenceSplitSizes(int Train, int Validation, int Test, int Ood)
{
    public static readonly PreferenceSplitSizes Default = new(Train: 2000, Validation: 500, Test: 1000, Ood: 1000);
}

/// <summary>
/// <c>vader-preference</c>: which of two lexicon tokens is more positive, with the human label distribution
/// kept. For tokens x and y with ratings from ten raters each, the preference for x is the fraction of the
/// 10 x 10 rating comparisons where x's rating is higher, ties counting half: the chance that a random
/// rating of x beats a random rating of y. Pairs at exactly 0.5 say nothing and are dropped; the rest are
/// oriented so <see cref="PreferencePair.Chosen"/> is the majority's choice and the preference is in (0.5, 1].
/// </summary>
/// <remarks>
/// Train, validation and test pair dictionary words (lowercase letters only); <c>ood</c> pairs have at least
/// one emoticon or slang token (any other character, e.g. ":)" or "&lt;3"). Pairs are drawn by
/// <see cref="StableHash"/> from the seed, test first, then validation, then train, so a larger train only
/// appends; an unordered token pair is used at most once across all splits, while a token may recur.
/// Tokens listed more than once in the lexicon (with different ratings) are left out: a response text
/// could not say which line's raters it stands for.
/// </remarks>
public static partial class VaderPreferenceTask
{
    public const string Name = "vader-preference";

    /// <summary>The same for every pair: the responses alone carry the difference, and ood shifts only them.</summary>
    public const string Prompt = "Which word is more positive?";

    /// <summary>Lowercase ASCII letters only: an ordinary dictionary word, as opposed to an emoticon or slang.</summary>
    public static bool IsDictionaryWord(string token) => DictionaryWordPattern().IsMatch(token);

    /// <summary>P(a random rating of <paramref name="x"/> &gt; a random rating of <paramref name="y"/>), ties counting half.</summary>
    public static double PreferenceFraction(IReadOnlyList<int> x, IReadOnlyList<int> y)
    {
        if (x.Count == 0 || y.Count == 0) throw new ArgumentException("both tokens need at least one rating");
        var (doubledScore, comparisons) = DoubledScore(x, y);
        // Integer counts divided once: the same rational always gives the same double, whichever side is x.
        return doubledScore / (2.0 * comparisons);
    }

    /// <summary>Pairs in file order (train, validation, test, ood) from a parsed lexicon.</summary>
    public static IReadOnlyList<PreferencePair> Build(IEnumerable<VaderEntry> entries, int seed, PreferenceSplitSizes? sizes = null)
    {
        sizes ??= PreferenceSplitSizes.Default;
        if (sizes.Train < 0 || sizes.Validation < 0 || sizes.Test < 0 || sizes.Ood < 0)
            throw new ArgumentOutOfRangeException(nameof(sizes), sizes, "split sizes must not be negative");

        var unique = entries
            .GroupBy(e => e.Token, StringComparer.Ordinal)
            .Where(g => g.Count() == 1)
            .Select(g => g.Single())
            .OrderBy(e => e.Token, StringComparer.Ordinal) // input order must not change the draws
            .ToList();
        var words = unique.Where(e => IsDictionaryWord(e.Token)).ToList();
        var shifted = unique.Where(e => !IsDictionaryWord(e.Token)).ToList();

        var usedPairs = new HashSet<(string, string)>();
        var inDistributionCount = sizes.Test + sizes.Validation + sizes.Train;
        var inDistribution = Draw(words, words, inDistributionCount, seed, "vader-in-distribution", usedPairs, "train/validation/test");
        var ood = Draw(shifted, unique, sizes.Ood, seed, "vader-ood", usedPairs, TaskSplits.Ood);

        static IEnumerable<PreferencePair> In(IEnumerable<(VaderEntry Chosen, VaderEntry Rejected)> pairs, string split) =>
            pairs.Select(p => new PreferencePair(Prompt, p.Chosen.Token, p.Rejected.Token,
                PreferenceFraction(p.Chosen.Ratings, p.Rejected.Ratings), split));
        return
        [
            .. In(inDistribution.Skip(sizes.Test + sizes.Validation), TaskSplits.Train),
            .. In(inDistribution.Skip(sizes.Test).Take(sizes.Validation), TaskSplits.Validation),
            .. In(inDistribution.Take(sizes.Test), TaskSplits.Test),
            .. In(ood, TaskSplits.Ood),
        ];
    }

    // Draw k takes its first token from firstPool and its second from secondPool, both by hash of (seed, k).
    // Self-pairs, pairs already used (in either order) and ties at 0.5 are skipped.
    private static List<(VaderEntry Chosen, VaderEntry Rejected)> Draw(
        IReadOnlyList<VaderEntry> firstPool, IReadOnlyList<VaderEntry> secondPool, int count, int seed, string purpose,
        HashSet<(string, string)> usedPairs, string splitName)
    {
        var pairs = new List<(VaderEntry, VaderEntry)>(count);
        if (count == 0) return pairs;
        // Generous for the real lexicon (thousands of tokens, few ties); bounded so a tiny pool fails instead of spinning.
        var maxDraws = 20L * count + 10_000;
        if (firstPool.Count > 0 && secondPool.Count > 0)
        {
            for (long k = 0; k < maxDraws && pairs.Count < count; k++)
            {
                var key = k.ToString(CultureInfo.InvariantCulture);
                var x = firstPool[StableHash.Index(seed, purpose + "-first", key, firstPool.Count)];
                var y = secondPool[StableHash.Index(seed, purpose + "-second", key, secondPool.Count)];
                if (x.Token == y.Token) continue;
                var (doubledScore, comparisons) = DoubledScore(x.Ratings, y.Ratings);
                if (doubledScore == comparisons) continue; // exactly 0.5: no majority to learn
                var unordered = string.CompareOrdinal(x.Token, y.Token) < 0 ? (x.Token, y.Token) : (y.Token, x.Token);
                if (!usedPairs.Add(unordered)) continue;
                pairs.Add(doubledScore > comparisons ? (x, y) : (y, x));
            }
        }
        if (pairs.Count < count)
            throw new ArgumentException(
                $"found only {pairs.Count} of {count} {splitName} pairs (not at 0.5, not used before) in {maxDraws} draws " +
                $"from {firstPool.Count} x {secondPool.Count} tokens; ask for fewer pairs.");
        return pairs;
    }

    // 2 x wins + ties over all rating comparisons, kept in integers so "exactly 0.5" is an exact test.
    private static (long DoubledScore, long Comparisons) DoubledScore(IReadOnlyList<int> x, IReadOnlyList<int> y)
    {
        long doubled = 0;
        foreach (var a in x)
            foreach (var b in y)
                doubled += a > b ? 2 : a == b ? 1 : 0;
        return (doubled, (long)x.Count * y.Count);
    }

    [GeneratedRegex(@"^[a-z]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex DictionaryWordPattern();
}
