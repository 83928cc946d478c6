namespace UncertaintyService.Core.Tokenization;

/// <summary>
/// The merge loop both BPE families share: repeatedly join the adjacent pair of symbols with the best
/// priority (lowest number), ties going to the leftmost pair, until no adjacent pair can be joined.
/// SentencePiece ranks a pair by the score of the piece it makes (higher first), Hugging Face's BPE by
/// the rank of its merge rule (lower first); both break ties left-first, which is what
/// Microsoft.ML.Tokenizers' LlamaTokenizer gets wrong ("aaaa").
/// </summary>
internal static class PairMerger
{
    /// <summary>Whether <paramref name="left"/> and <paramref name="right"/> may be joined, and at what priority (lower merges first).</summary>
    public delegate bool TryPair(string left, string right, out double priority);

    /// <param name="frozen">Symbols that never join (SentencePiece's user-defined symbols); null when none are.</param>
    public static List<string> Merge(IReadOnlyList<string> symbols, TryPair tryPair, IReadOnlyList<bool>? frozen = null)
    {
        int n = symbols.Count;
        var pieces = symbols.ToArray();
        if (n < 2) return [.. pieces];
        var next = new int[n];
        var previous = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            previous[i] = i - 1;
        }
        // Queued pairs carry the length they had when queued: a pair whose right symbol has since
        // grown (or been absorbed) no longer matches and is skipped when it comes up.
        var agenda = new PriorityQueue<(int Left, int Right, int Length), (double Priority, int Left)>(PriorityOrder.Instance);
        void Consider(int left, int right)
        {
            if (left < 0 || right < 0) return;
            if (frozen is not null && (frozen[left] || frozen[right])) return;
            if (tryPair(pieces[left], pieces[right], out double priority))
                agenda.Enqueue((left, right, pieces[left].Length + pieces[right].Length), (priority, left));
        }
        for (int i = 1; i < n; i++) Consider(i - 1, i);

        while (agenda.TryDequeue(out var pair, out _))
        {
            var (left, right, length) = pair;
            if (pieces[left].Length == 0 || pieces[right].Length == 0 || next[left] != right
                || pieces[left].Length + pieces[right].Length != length)
                continue;
            pieces[left] += pieces[right];
            pieces[right] = "";
            next[left] = next[right];
            if (next[right] >= 0) previous[next[right]] = left;
            Consider(previous[left], left);
            Consider(left, next[left]);
        }

        var merged = new List<string>();
        for (int i = 0; i >= 0; i = next[i]) merged.Add(pieces[i]);
        return merged;
    }

    private sealed class PriorityOrder : IComparer<(double Priority, int Left)>
    {
        public static readonly PriorityOrder Instance = new();

        public int Compare((double Priority, int Left) a, (double Priority, int Left) b)
        {
            int byPriority = a.Priority.CompareTo(b.Priority);
            return byPriority != 0 ? byPriority : a.Left.CompareTo(b.Left);
        }
    }
}
