using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.Tasks;

public sealed class SpamTaskTests : IDisposable
{
    private static readonly SplitSizes Sizes = new(Validation: 20, Test: 40);
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static SpamAssassinEmail Mail(string group, int number, string body) =>
        new(group, $"{number:00000}.{number:x32}.txt", $"From someone@example.com  Thu Aug 22 12:36:23 2002\nSubject: {group} {number}\n\n{body}\n");

    private static List<SpamAssassinEmail> Group(string group, int count, string what) =>
        Enumerable.Range(1, count).Select(i => Mail(group, i, $"{what} message number {i}")).ToList();

    private static readonly List<SpamAssassinEmail> InDistribution = [.. Group("easy-ham-1", 200, "ham"), .. Group("spam-1", 60, "spam")];
    private static readonly List<SpamAssassinEmail> Shifted = [.. Group("hard-ham-1", 20, "hard ham"), .. Group("spam-2", 40, "later spam")];

    private static BuiltTask Build(int seed = 3, IEnumerable<SpamAssassinEmail>? inDistribution = null, IEnumerable<SpamAssassinEmail>? ood = null) =>
        SpamTask.Build(inDistribution ?? InDistribution, ood ?? Shifted, seed, Sizes);

    [Fact]
    public void SplitsComeFromTheRightGroupsWithTheInvariants()
    {
        var task = Build();

        TaskInvariants.Hold(task);
        var ood = task.Examples.Where(e => e.Split == TaskSplits.Ood).ToList();
        Assert.Equal(60, ood.Count);
        Assert.All(ood, e => Assert.True(e.Prompt.Contains("hard ham") || e.Prompt.Contains("later spam"), e.Prompt));
        Assert.All(task.Examples.Where(e => e.Split != TaskSplits.Ood), e => Assert.DoesNotContain("hard ham", e.Prompt));
        Assert.Equal(200, task.Examples.Count(e => e.Split == TaskSplits.Train));
        Assert.Equal(20, task.Examples.Count(e => e.Split == TaskSplits.Validation));
        Assert.Equal(40, task.Examples.Count(e => e.Split == TaskSplits.Test));
    }

    [Fact]
    public void SplitsKeepTheClassProportions()
    {
        var test = Build().Examples.Where(e => e.Split == TaskSplits.Test).ToList();

        // 60 of 260 e-mails are spam, so a stratified test split of 40 holds 9 or 10 of them.
        Assert.InRange(test.Count(e => e.Label == SpamTask.Spam), 9, 10);
    }

    [Fact]
    public void LabelsFollowTheGroups()
    {
        var task = Build();

        Assert.All(task.Examples, e => Assert.Equal(e.Prompt.Contains("spam message") ? SpamTask.Spam : SpamTask.Ham, e.Label));
    }

    [Fact]
    public void PromptIsTheCleanedBodyInTheTemplate()
    {
        var task = Build();

        Assert.Contains(task.Examples, e => e.Prompt == "E-mail:\nspam message number 17\nIs this e-mail spam? Answer:");
    }

    [Fact]
    public void SameSeedGivesTheSameBytesAndAnotherSeedDoesNot()
    {
        var first = TaskInvariants.Bytes(Build(seed: 3), folder, "a");
        var again = TaskInvariants.Bytes(Build(seed: 3, InDistribution.AsEnumerable().Reverse(), Shifted.AsEnumerable().Reverse()), folder, "b");
        var other = TaskInvariants.Bytes(Build(seed: 4), folder, "c");

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void RepeatedEmptyAndContradictoryTextsAreDropped()
    {
        List<SpamAssassinEmail> inDistribution =
        [
            .. InDistribution,
            Mail("spam-1", 900, "ham message number 5"), // same text as a ham: cannot be answered
            Mail("spam-1", 901, "spam message number 6"), // a resent spam: kept once
            Mail("spam-1", 902, "") with { RawText = "Subject: x\nContent-Transfer-Encoding: base64\n\nPGh0bWw+PGJvZHk+PGRpdiBpZD0ibWVzc2FnZUJvZHkiPjxkaXY+\n" },
        ];
        List<SpamAssassinEmail> ood = [.. Shifted, Mail("spam-2", 903, "spam message number 7")]; // already in-distribution

        var task = Build(inDistribution: inDistribution, ood: ood);

        TaskInvariants.Hold(task);
        Assert.DoesNotContain(task.Examples, e => e.Prompt.Contains("\nham message number 5\n"));
        Assert.Single(task.Examples, e => e.Prompt.Contains("\nspam message number 6\n"));
        Assert.Single(task.Examples, e => e.Prompt.Contains("\nspam message number 7\n") && e.Split != TaskSplits.Ood);
        Assert.Equal(260 - 1 + 60, task.Examples.Count);
    }

    [Fact]
    public void TaskDefinitionReadsYesForSpamAndNoForHam()
    {
        var definition = Build().Definition;

        Assert.Equal(["spam", "ham"], definition.Labels);
        Assert.Equal(["yes", "no"], definition.LabelTokens);
        Assert.Equal("E-mail:\n{email}\nIs this e-mail spam? Answer:", definition.PromptTemplate);
    }
}
