namespace UncertaintyService.Data.Tests.Tasks;

public sealed class StableHashTests
{
    [Fact]
    public void ValuesArePinnedSoEveryMachineAgrees()
    {
        // First eight bytes, big-endian, of SHA-256("1234\u001fpurpose\u001fkey"), computed outside .NET.
        // If this changes, every task file built from a seed changes with it.
        Assert.Equal(0x0ee07dab9513591aUL, StableHash.Of(1234, "purpose", "key"));
        Assert.NotEqual(StableHash.Of(1234, "purpose", "key"), StableHash.Of(1235, "purpose", "key"));
        Assert.NotEqual(StableHash.Of(1234, "a", "bc"), StableHash.Of(1234, "ab", "c"));
    }

    [Fact]
    public void ShuffleIsAPermutationFixedBySeedAndPurpose()
    {
        var items = Enumerable.Range(0, 100).Select(i => $"item{i}").ToList();

        var shuffled = StableHash.Shuffle(items, x => x, seed: 1, purpose: "p");

        Assert.Equal(items.Order(), shuffled.Order());
        Assert.NotEqual(items, shuffled);
        Assert.Equal(shuffled, StableHash.Shuffle(items.AsEnumerable().Reverse(), x => x, seed: 1, purpose: "p"));
        Assert.NotEqual(shuffled, StableHash.Shuffle(items, x => x, seed: 2, purpose: "p"));
    }
}
