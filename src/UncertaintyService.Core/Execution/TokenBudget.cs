namespace UncertaintyService.Core.Execution;

/// <summary>
/// The most padded tokens (rows x longest row) one forward pass may take. Every predictor runs its
/// rows in consecutive chunks under this budget, so peak memory is set by the budget and the model,
/// not by how many prompts, samples or labels a request brought. A row longer than the budget runs
/// alone (admission keeps prompts under the budget; see the service's limits).
/// </summary>
public readonly record struct TokenBudget
{
    /// <summary>What the service and the CLI use unless configured otherwise.</summary>
    public static readonly TokenBudget Default = new(8192);

    public TokenBudget(long maxTokens)
    {
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "A token budget must be at least 1.");
        MaxTokens = maxTokens;
    }

    public long MaxTokens { get; }

    /// <summary>
    /// Called before each chunk runs, outside every chunk's dispose scope: the service checks there
    /// whether the work is still wanted (it throws to stop within one chunk) and serves short requests
    /// between the chunks of a long one.
    /// </summary>
    public Action? BeforeChunk { get; init; }

    /// <summary>
    /// Consecutive chunks of items, each item <paramref name="rowsPerItem"/> rows of its length (a
    /// reward pair is two texts padded together: rows 2, length the longer), greedily as many items as
    /// fit. Order is kept, so results come back in the order asked.
    /// </summary>
    public IEnumerable<(int Offset, int Count)> Chunks(IReadOnlyList<int> itemLengths, int rowsPerItem = 1)
    {
        int start = 0;
        long longest = 0;
        for (int i = 0; i < itemLengths.Count; i++)
        {
            long candidate = Math.Max(longest, itemLengths[i]);
            if (i > start && (long)(i - start + 1) * rowsPerItem * candidate > MaxTokens)
            {
                BeforeChunk?.Invoke();
                yield return (start, i - start);
                start = i;
                candidate = itemLengths[i];
            }
            longest = candidate;
        }
        if (itemLengths.Count > start)
        {
            BeforeChunk?.Invoke();
            yield return (start, itemLengths.Count - start);
        }
    }
}
