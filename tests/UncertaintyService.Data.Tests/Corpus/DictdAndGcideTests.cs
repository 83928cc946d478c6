using System.IO.Compression;
using System.Text;

namespace UncertaintyService.Data.Tests.Corpus;

public sealed class DictdAndGcideTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    // Copied from dict-gcide 0.48.5+nmu2's gcide.dict.dz (the articles Abdomen, adrenocortical and
    // adrenocorticotrophic, in that file's layout).
    private const string Abdomen =
        "Abdomen \\Ab*do\"men\\, n. [L. abdomen (a word of uncertain\n" +
        "   etymol.): cf. F. abdomen.]\n" +
        "   1. (Anat.) The belly, or that part of the body between the\n" +
        "      thorax and the pelvis.\n" +
        "      [1913 Webster]\n" +
        "\n" +
        "   2. (Zool.) The posterior section of the body, behind the\n" +
        "      thorax, in insects, crustaceans, and other Arthropoda.\n" +
        "      [1913 Webster]\n";

    private const string Adrenocortical =
        "adrenocortical \\adrenocortical\\ adj.\n" +
        "   1. of or pertaining to the adrenal cortex.\n" +
        "      [WordNet 1.5] adrenocorticotrophic\n";

    private const string MixedSources =
        "Abdominal \\Ab*dom\"i*nal\\, a. [Cf. F. abdominal.]\n" +
        "   1. Of or pertaining to the abdomen; ventral; as, the\n" +
        "      abdominal regions, muscles, cavity.\n" +
        "      [1913 Webster]\n" +
        "\n" +
        "   {Abdominal ring} (Anat.), a fancied ringlike opening.\n" +
        "      [1913 Webster +PJC]\n" +
        "\n" +
        "   2. relating to the abdomen.\n" +
        "      [WordNet 1.5]\n";

    [Theory]
    [InlineData("A", 0)]
    [InlineData("B", 1)]
    [InlineData("/", 63)]
    [InlineData("BA", 64)]
    [InlineData("5I", 57 * 64 + 8)]
    public void DictdNumbersAreBase64MostSignificantDigitFirst(string digits, long value) =>
        Assert.Equal(value, DictdDatabase.Number(digits));

    [Fact]
    public void ArticlesAreReadByTheIndexOnceEachInFileOrderWithoutTheDatabaseEntries()
    {
        var text = "header text\n" + Abdomen + Adrenocortical;
        int abdomen = Encoding.UTF8.GetByteCount("header text\n"), adreno = abdomen + Encoding.UTF8.GetByteCount(Abdomen);
        var (index, dict) = Database(text,
            $"00-database-short\t{Digits(0)}\t{Digits(abdomen)}",
            $"adrenocortical\t{Digits(adreno)}\t{Digits(Encoding.UTF8.GetByteCount(Adrenocortical))}",
            $"Abdomen\t{Digits(abdomen)}\t{Digits(Encoding.UTF8.GetByteCount(Abdomen))}",
            $"abdomen\t{Digits(abdomen)}\t{Digits(Encoding.UTF8.GetByteCount(Abdomen))}");

        var articles = DictdDatabase.Read(index, dict);

        Assert.Equal(["Abdomen", "adrenocortical"], articles.Select(a => a.Headword));
        Assert.Equal([Abdomen, Adrenocortical], articles.Select(a => a.Text));
    }

    [Fact]
    public void AnIndexLinePointingPastTheTextIsNamedByFileAndLine()
    {
        var (index, dict) = Database("short", "fine\tA\tB", $"broken\tA\t{Digits(99)}");

        var ex = Assert.Throws<FormatException>(() => DictdDatabase.Read(index, dict));

        Assert.StartsWith($"{index}:2: 'broken' points past the end", ex.Message);
    }

    [Fact]
    public void AnArticleBecomesOneLineOfProseWithoutPronunciationsBracesOrSourceTags() =>
        Assert.Equal(
            "Abdomen , n. [L. abdomen (a word of uncertain etymol.): cf. F. abdomen.] 1. (Anat.) The belly, or that part of the body " +
            "between the thorax and the pelvis. 2. (Zool.) The posterior section of the body, behind the thorax, in insects, " +
            "crustaceans, and other Arthropoda.",
            GcideSource.Document(new DictdArticle("Abdomen", Abdomen)));

    [Fact]
    public void EveryParagraphFromWordNetIsLeftOutWhereverItsTagStands()
    {
        Assert.Equal("", GcideSource.Document(new DictdArticle("adrenocortical", Adrenocortical)));
        var mixed = GcideSource.Document(new DictdArticle("Abdominal", MixedSources));
        Assert.Equal("Abdominal , a. [Cf. F. abdominal.] 1. Of or pertaining to the abdomen; ventral; as, the abdominal regions, " +
            "muscles, cavity. Abdominal ring (Anat.), a fancied ringlike opening.", mixed);
    }

    private (string Index, string Dict) Database(string text, params string[] indexLines)
    {
        var dict = folder.File("test.dict.dz");
        using (var gzip = new GZipStream(File.Create(dict), CompressionLevel.Optimal))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        var index = folder.File("test.index");
        File.WriteAllLines(index, indexLines);
        return (index, dict);
    }

    private static string Digits(long value)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var digits = new StringBuilder();
        do
        {
            digits.Insert(0, alphabet[(int)(value % 64)]);
            value /= 64;
        } while (value > 0);
        return digits.ToString();
    }
}
