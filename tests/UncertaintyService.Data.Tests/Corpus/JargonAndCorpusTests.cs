using System.IO.Compression;
using System.Text;

namespace UncertaintyService.Data.Tests.Corpus;

public sealed class JargonAndCorpusTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    // Lines copied from jargon-text 4.4.7-4.1's jargon.txt (front matter, then the entries goat file and gobble).
    private static readonly string[] JargonLines =
    [
        "                                The Jargon File",
        "",
        "   This is the Jargon File, a comprehensive compendium of hacker slang",
        "",
        "   :goat file:",
        "",
        "   A sacrificial file used to test a computer virus, i.e. a dummy executable",
        "   that carries a sample of the virus, isolated so it can be studied.",
        "",
        "   :gobble: vt.",
        "",
        "   1. To consume, usu.: used with ‘up’. “The output spy gobbles characters",
        "   out of a {tty} output buffer.”",
    ];

    [Fact]
    public void EachJargonEntryIsOneDocumentAndTheFrontMatterIsNone()
    {
        var path = folder.File("jargon.txt.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Optimal))
            gzip.Write(Encoding.UTF8.GetBytes(string.Join('\n', JargonLines) + "\n"));

        Assert.Equal(
        [
            "goat file: A sacrificial file used to test a computer virus, i.e. a dummy executable that carries a sample of the virus, isolated so it can be studied.",
            "gobble: vt. 1. To consume, usu.: used with ‘up’. “The output spy gobbles characters out of a tty output buffer.”",
        ], JargonSource.Documents(path));
    }

    [Theory]
    [InlineData("Related to the shallow CAVITY   of the body's lower trunk, as noted.", true)] // case, spacing and punctuation differ
    [InlineData("an open space in the trunk of the body below the ribs", true)] // a whole 8-word run inside
    [InlineData("cavity shallow the of body the of trunk lower", false)] // the words, not the run
    [InlineData("related to the shallow cavity of the body", true)]
    [InlineData("related to the shallow cavity of a body", false)]
    [InlineData("a domestic cat sat on the mat", false)] // "a domestic cat": too short to look for
    [InlineData("the small short-haired bird, here", true)] // a whole held-out text of 4-7 words
    public void ADocumentIsHeldOutWhenItContainsAHeldOutRunOfWords(string document, bool heldOut)
    {
        var senses = new HeldOutText(
        [
            "related to the shallow cavity of the body's lower trunk",
            "open space in the trunk of the body below",
            "a domestic cat",
            "the small short-haired bird",
        ]);

        Assert.Equal(heldOut, senses.Overlaps(document));
    }

    [Fact]
    public void TheCorpusIsWrittenWholeWithEachSourceCountedAndHeldOutDocumentsLeftOut()
    {
        var path = folder.File(PretrainingCorpus.FileName);
        File.WriteAllText(path, "an older corpus\n");
        var heldOut = new HeldOutText(["a large sea fish of the Pacific coast with silver sides"]);

        var counts = PretrainingCorpus.Write(path,
        [
            new("dictionary", ["Silverside, n. A fish.", "", "A large sea fish of the Pacific coast; silver sides.\nIt swims."]),
            new("mail", ["Hello,\r\nthe build\nis broken."]),
        ], heldOut);

        Assert.Equal([new CorpusSourceCount("dictionary", 1, 1, 22), new CorpusSourceCount("mail", 1, 0, 28)], counts);
        Assert.Equal("Silverside, n. A fish.\nHello,  the build is broken.\n", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public void OnlyTheTrainingEmailsTextIsReadFromTheSpamTask()
    {
        var definition = SpamTask.Definition(seed: 1);
        var task = new BuiltTask(SpamTask.Name, definition,
        [
            new(definition.Fill([("email", "Buy cheap watches now")]), SpamTask.Spam, TaskSplits.Train),
            new(definition.Fill([("email", "Lunch at noon?")]), SpamTask.Ham, TaskSplits.Train),
            new(definition.Fill([("email", "A test e-mail")]), SpamTask.Ham, TaskSplits.Test),
        ]);

        var emails = PretrainingCorpus.TrainingEmails(task);

        Assert.Equal(["Buy cheap watches now", "Lunch at noon?"], emails);
    }
}
