using UncertaintyService.Core.Execution;

namespace UncertaintyService.Core.Tests.Execution;

public class TokenBudgetTests
{
    private static List<(int, int)> Chunks(TokenBudget budget, int[] lengths, int rowsPerItem = 1) =>
        budget.Chunks(lengths, rowsPerItem).Select(c => (c.Offset, c.Offset + c.Count)).ToList();

    [Fact]
    public void ChunksKeepOrderAndPaddedTokensUnderTheBudget()
    {
        // Rows x longest: [5, 3] = 10, + 9 would be 27 > 20; [9, 2] = 18, + 4 = 27; [4, 4, 4] = 12, + 8 = 32.
        Assert.Equal([(0, 2), (2, 4), (4, 7), (7, 8)], Chunks(new TokenBudget(20), [5, 3, 9, 2, 4, 4, 4, 8]));
    }

    [Fact]
    public void AnItemLongerThanTheBudgetRunsAlone()
    {
        Assert.Equal([(0, 1), (1, 2), (2, 3)], Chunks(new TokenBudget(10), [4, 30, 4]));
    }

    [Fact]
    public void PairsCountTwoRowsEach()
    {
        // Pairs of longest 5: 2 rows x 5 = 10 per pair, so two pairs fit 20 and a third does not.
        Assert.Equal([(0, 2), (2, 3)], Chunks(new TokenBudget(20), [5, 5, 5], rowsPerItem: 2));
    }

    [Fact]
    public void NothingToRunGivesNoChunk()
    {
        Assert.Empty(Chunks(TokenBudget.Default, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBudget(0));
    }

    [Fact]
    public void TheHookRunsBeforeEachChunkAndCanStopTheRest()
    {
        var log = new List<string>();
        var budget = new TokenBudget(10) { BeforeChunk = () => log.Add("hook") };
        foreach (var (offset, count) in budget.Chunks([4, 4, 4, 4, 4]))
            log.Add($"chunk {offset}+{count}");
        Assert.Equal(["hook", "chunk 0+2", "hook", "chunk 2+2", "hook", "chunk 4+1"], log);

        int ran = 0;
        var stopping = new TokenBudget(10) { BeforeChunk = () => { if (ran == 2) throw new OperationCanceledException(); } };
        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (var _ in stopping.Chunks([4, 4, 4, 4, 4])) ran++;
        });
        Assert.Equal(2, ran);
    }
}
