using System.Text;
using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.SpamAssassin;

public sealed class SpamAssassinCorpusTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void ReadsRawFilesOfAGroupInFileNameOrderAndIgnoresTheJsonCopies()
    {
        // The tarball's layout: package/data/<group>/<number>.<md5>.txt beside a .json copy.
        folder.Write("package/data/spam-1/00002.9c4069e25e1ef370c078db7ee85ff9ac.txt", "Subject: b\n\nsecond");
        folder.Write("package/data/spam-1/00001.7c53336b37003a9286aba55d2945844c.txt", "Subject: a\n\nfirst");
        folder.Write("package/data/spam-1/00001.7c53336b37003a9286aba55d2945844c.json", "{\"text\":\"ignored\"}");
        var corpus = SpamAssassinCorpus.In(folder.Path);

        var emails = corpus.Read("spam-1");

        Assert.Equal(["00001.7c53336b37003a9286aba55d2945844c.txt", "00002.9c4069e25e1ef370c078db7ee85ff9ac.txt"], emails.Select(e => e.FileName));
        Assert.Equal("Subject: a\n\nfirst", emails[0].RawText);
        Assert.All(emails, e => Assert.True(e.IsSpam));
        Assert.Equal("spam-1/00001.7c53336b37003a9286aba55d2945844c.txt", emails[0].Id);
    }

    [Theory]
    [InlineData("easy-ham-1", false)]
    [InlineData("hard-ham-1", false)]
    [InlineData("spam-2", true)]
    public void GroupDecidesTheLabel(string group, bool spam) =>
        Assert.Equal(spam, new SpamAssassinEmail(group, "00001.x.txt", "").IsSpam);

    [Fact]
    public void UnknownGroupIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => SpamAssassinCorpus.In(folder.Path).Read("spam-3"));

        Assert.Contains("spam-3", ex.Message);
    }

    [Fact]
    public void InvalidUtf8FallsBackToLatin1()
    {
        byte[] latin1 = [(byte)'c', (byte)'a', (byte)'f', 0xE9]; // "café" in ISO-8859-1, invalid as UTF-8

        Assert.Equal("café", SpamAssassinCorpus.Decode(latin1));
        Assert.Equal("café", SpamAssassinCorpus.Decode(Encoding.UTF8.GetBytes("café")));
    }
}
