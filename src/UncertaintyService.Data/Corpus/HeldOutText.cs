namespace UncertaintyService.Data;

/// <summary>
/// The texts evaluation splits are scored on, as sets of word runs: a corpus document containing a held-out
/// text's run of <see cref="RunWords"/> consecutive words (or the whole text, when it is shorter) is held out
/// too, so a dictionary that quotes a WordNet gloss, or a near copy in other case or punctuation, cannot let
/// the base model read the text it will be tested on.
/// </summary>
/// <remarks>
/// Texts under <see cref="MinimumWords"/> words ("a domestic cat") are too generic to identify a copy and are
/// not looked for. Runs are compared by a 64-bit hash of their words: a collision can only drop a document.
/// </remarks>
public sealed class HeldOutText
{
    public const int RunWords = 8;
    public const int MinimumWords = 4;

    // Per run length (MinimumWords..RunWords), the hashes of the held-out runs of that length.
    private readonly Dictionary<int, HashSet<ulong>> runs = [];

    public HeldOutText(IEnumerable<string> texts)
    {
        foreach (var text in texts)
        {
            var words = WordHashes(text);
            if (words.Count < MinimumWords) continue;
            int n = Math.Min(RunWords, words.Count);
            if (!runs.TryGetValue(n, out var set)) runs[n] = set = [];
            foreach (var run in Runs(words, n)) set.Add(run);
        }
    }

    /// <summary>How many distinct runs are held out (all lengths).</summary>
    public int Count => runs.Values.Sum(s => s.Count);

    /// <summary>True when <paramref name="document"/> contains a held-out run.</summary>
    public bool Overlaps(string document)
    {
        var words = WordHashes(document);
        foreach (var (n, set) in runs)
            foreach (var run in Runs(words, n))
                if (set.Contains(run)) return true;
        return false;
    }

    /// <summary>One hash per lower-cased run of letters and digits: case and punctuation do not hide a copy.</summary>
    private static List<ulong> WordHashes(string text)
    {
        var hashes = new List<ulong>();
        ulong hash = Fnv.Offset;
        bool inWord = false;
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                hash = Fnv.Add(hash, char.ToLowerInvariant(c));
                inWord = true;
            }
            else if (inWord)
            {
                hashes.Add(hash);
                hash = Fnv.Offset;
                inWord = false;
            }
        }
        if (inWord) hashes.Add(hash);
        return hashes;
    }

    private static IEnumerable<ulong> Runs(List<ulong> words, int n)
    {
        for (int i = 0; i + n <= words.Count; i++)
        {
            ulong run = Fnv.Offset;
            for (int j = i; j < i + n; j++) run = Fnv.Add(run, words[j]);
            yield return run;
        }
    }

    // FNV-1a over 64-bit words: order-sensitive, so "dog bites man" and "man bites dog" differ.
    private static class Fnv
    {
        public const ulong Offset = 14695981039346656037UL;
        private const ulong Prime = 1099511628211UL;

        public static ulong Add(ulong hash, ulong value)
        {
            for (int i = 0; i < 8; i++, value >>= 8) hash = (hash ^ (value & 0xFF)) * Prime;
            return hash;
        }
    }
}
