using System.Text.RegularExpressions;

namespace UncertaintyService.Core.Baselines;

/// <summary>
/// Lower-cased word counts over a vocabulary of the training texts' most frequent words (at most
/// <c>maxWords</c>), scaled by 1/sqrt(1 + total count) so long e-mails and short glosses weigh alike.
/// Sparse: one (index, value) list per text.
/// </summary>
public sealed partial class BagOfWords
{
    private readonly Dictionary<string, int> index;

    private BagOfWords(Dictionary<string, int> index) => this.index = index;

    public int Size => index.Count;

    public static BagOfWords Fit(IEnumerable<string> texts, int maxWords = 5000)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var word in Words(text))
                counts[word] = counts.GetValueOrDefault(word) + 1;
        var kept = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(maxWords).Select(c => c.Key);
        return new BagOfWords(kept.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal));
    }

    public (int Index, double Value)[] Features(string text)
    {
        var counts = new Dictionary<int, int>();
        int total = 0;
        foreach (var word in Words(text))
        {
            total++;
            if (index.TryGetValue(word, out int i)) counts[i] = counts.GetValueOrDefault(i) + 1;
        }
        double scale = 1 / Math.Sqrt(1 + total);
        return counts.OrderBy(c => c.Key).Select(c => (c.Key, c.Value * scale)).ToArray();
    }

    private static IEnumerable<string> Words(string text) => WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value);

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();
}
