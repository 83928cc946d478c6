using System.Globalization;

namespace UncertaintyService.Data;

/// <summary>
/// One lexicon line: the token, the mean and (population) standard deviation the file states, and the
/// ten individual human ratings on the -4 (extremely negative) to 4 (extremely positive) scale.
/// </summary>
public sealed record VaderEntry(string Token, double Mean, double Std, IReadOnlyList<int> Ratings);

/// <summary>An entry whose stated mean or standard deviation does not follow from its own ratings.</summary>
public sealed record VaderSummaryMismatch(VaderEntry Entry, double ComputedMean, double ComputedStd)
{
    public bool MeanDiffers => Math.Abs(Entry.Mean - ComputedMean) > VaderLexicon.MeanTolerance;
    public bool StdDiffers => Math.Abs(Entry.Std - ComputedStd) > VaderLexicon.StdTolerance;
}

/// <summary>
/// Parses <c>vader_lexicon.txt</c>: one token per line, four tab-separated fields
/// <c>token, mean, std, [r1, r2, ..., r10]</c>. The file has no header or comment lines, so every
/// line that does not fit (blank lines included) is an error naming its line number.
/// </summary>
public static class VaderLexicon
{
    public const int RatingsPerToken = 10;
    public const int MinRating = -4;
    public const int MaxRating = 4;

    /// <summary>The file prints means to one decimal, exact for the mean of ten integers.</summary>
    public const double MeanTolerance = 0.005;

    /// <summary>Standard deviations are printed to five decimals, some truncated rather than rounded: one unit of the last place.</summary>
    public const double StdTolerance = 1e-5;

    public static IReadOnlyList<VaderEntry> Read(string path) => Parse(File.ReadLines(path));

    /// <summary>Every line as an entry, in file order; duplicate tokens are kept (the file has some).</summary>
    /// <exception cref="FormatException">A line is malformed; the message says which line and what is wrong.</exception>
    public static IReadOnlyList<VaderEntry> Parse(IEnumerable<string> lines)
    {
        var entries = new List<VaderEntry>();
        var lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            entries.Add(ParseLine(line, lineNumber));
        }
        return entries;
    }

    /// <summary>Entries whose stated mean or standard deviation differ from the ones their ratings give.</summary>
    public static IReadOnlyList<VaderSummaryMismatch> SummaryMismatches(IEnumerable<VaderEntry> entries) =>
        entries
            .Select(e => new VaderSummaryMismatch(e, Mean(e.Ratings), PopulationStd(e.Ratings)))
            .Where(m => m.MeanDiffers || m.StdDiffers)
            .ToList();

    internal static double Mean(IReadOnlyList<int> ratings) => ratings.Average();

    // The file's figures are population standard deviations (divided by n, not n - 1).
    internal static double PopulationStd(IReadOnlyList<int> ratings)
    {
        var mean = Mean(ratings);
        return Math.Sqrt(ratings.Sum(r => (r - mean) * (r - mean)) / ratings.Count);
    }

    private static VaderEntry ParseLine(string line, int lineNumber)
    {
        FormatException Malformed(string problem) => new($"vader lexicon line {lineNumber}: {problem}: \"{line}\"");

        var fields = line.Split('\t');
        if (fields.Length != 4)
            throw Malformed($"expected 4 tab-separated fields (token, mean, std, ratings), found {fields.Length}");
        var token = fields[0];
        if (token.Length == 0) throw Malformed("empty token");
        if (!TryParseNumber(fields[1], out var mean) || mean < MinRating || mean > MaxRating)
            throw Malformed($"mean \"{fields[1]}\" is not a number in [{MinRating}, {MaxRating}]");
        if (!TryParseNumber(fields[2], out var std) || std < 0)
            throw Malformed($"standard deviation \"{fields[2]}\" is not a non-negative number");

        var list = fields[3];
        if (list.Length < 2 || list[0] != '[' || list[^1] != ']')
            throw Malformed($"ratings \"{list}\" are not a bracketed list");
        var items = list[1..^1].Split(',');
        if (items.Length != RatingsPerToken)
            throw Malformed($"expected {RatingsPerToken} ratings, found {items.Length}");
        var ratings = new int[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            if (!int.TryParse(items[i].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var rating)
                || rating < MinRating || rating > MaxRating)
                throw Malformed($"rating {i + 1} \"{items[i].Trim()}\" is not an integer in [{MinRating}, {MaxRating}]");
            ratings[i] = rating;
        }
        return new VaderEntry(token, mean, std, ratings);
    }

    private static bool TryParseNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
}
