using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.WordNet;

public sealed class WordNetDataFileTests
{
    private static WordNetSynset Parse(string line) => WordNetDataFile.ParseLine(line, LexicographerFiles.Standard);

    [Fact]
    public void NounLineGivesEveryField()
    {
        var dog = Parse(RealWordNetLines.Dog);

        Assert.Equal("02084071", dog.Offset);
        Assert.Equal(5, dog.LexFileNumber);
        Assert.Equal("noun.animal", dog.LexFileName);
        Assert.Equal('n', dog.SynsetType);
        Assert.Equal(["dog", "domestic_dog", "Canis_familiaris"], dog.Words);
        Assert.Equal(23, dog.Pointers.Count);
        Assert.Equal(new WordNetPointer("@", "02083346", 'n', "0000"), dog.Pointers[0]);
        Assert.Equal(new WordNetPointer("#m", "02083863", 'n', "0000"), dog.Pointers[2]);
        Assert.Equal(new WordNetPointer("%p", "02158846", 'n', "0000"), dog.Pointers[^1]);
        Assert.Equal(
            "a member of the genus Canis (probably descended from the common wolf) that has been domesticated by man since prehistoric times; occurs in many breeds; \"the dog barked all night\"",
            dog.Gloss);
        Assert.Equal(
            "a member of the genus Canis (probably descended from the common wolf) that has been domesticated by man since prehistoric times; occurs in many breeds",
            dog.Definition);
        Assert.Equal(["the dog barked all night"], dog.Examples);
    }

    [Fact]
    public void WordCountIsHexadecimal()
    {
        var mischief = Parse(RealWordNetLines.Mischief);

        Assert.Equal(10, mischief.Words.Count);
        Assert.Equal("shenanigan", mischief.Words[^1]);
        Assert.Equal(10, mischief.Pointers.Count);
        Assert.Equal(new WordNetPointer("+", "01787973", 'v', "060d"), mischief.Pointers[2]);
        Assert.Equal("noun.act", mischief.LexFileName);
        Assert.Empty(mischief.Examples);
        Assert.Equal("reckless or malicious behavior that causes discomfort or annoyance in others", mischief.Definition);
    }

    [Fact]
    public void VerbLineWithFramesParsesUpToTheGloss()
    {
        var breathe = Parse(RealWordNetLines.Breathe);

        Assert.Equal("verb.body", breathe.LexFileName);
        Assert.Equal('v', breathe.SynsetType);
        Assert.Equal(["breathe", "take_a_breath", "respire", "suspire"], breathe.Words);
        Assert.Equal(21, breathe.Pointers.Count);
        Assert.Equal(new WordNetPointer("~", "00017031", 'v', "0000"), breathe.Pointers[^1]);
        Assert.Equal("draw air into, and expel out of, the lungs", breathe.Definition);
        Assert.Equal(["I can breathe better when the air is clean", "The patient is respiring"], breathe.Examples);
    }

    [Fact]
    public void AttributionAfterAnExampleIsDropped()
    {
        var permutation = Parse(RealWordNetLines.Permutation);

        Assert.Equal("complete change in character or condition", permutation.Definition);
        Assert.Equal(["the permutations...taking place in the physical world"], permutation.Examples);
    }

    [Fact]
    public void LicenseHeaderLinesAreSkipped()
    {
        string[] lines = [RealWordNetLines.LicenseLine1, RealWordNetLines.LicenseLine29, RealWordNetLines.Entity, RealWordNetLines.Dog];

        var synsets = WordNetDataFile.Parse(lines, LexicographerFiles.Standard).ToList();

        Assert.Equal(["00001740", "02084071"], synsets.Select(s => s.Offset));
        Assert.Equal("noun.Tops", synsets[0].LexFileName);
        Assert.Equal(["entity"], synsets[0].Words);
    }

    [Fact]
    public void MalformedLineNamesItsLineNumber()
    {
        string[] lines = [RealWordNetLines.LicenseLine1, RealWordNetLines.Entity, "00002137 03 n zz abstraction 0 000 | broken"];

        var ex = Assert.Throws<FormatException>(() => WordNetDataFile.Parse(lines, LexicographerFiles.Standard).ToList());

        Assert.Contains("line 3", ex.Message);
        Assert.Contains("w_cnt", ex.Message);
    }

    [Fact]
    public void LexFileNumberPastTheListIsRejected()
    {
        var ex = Assert.Throws<FormatException>(() => Parse(RealWordNetLines.Entity.Replace(" 03 n ", " 45 n ")));

        Assert.Contains("lex_filenum 45", ex.Message);
    }

    [Fact]
    public void StandardLexicographerFilesMatchTheLexnamesPage()
    {
        Assert.Equal(45, LexicographerFiles.Standard.Count);
        Assert.Equal("adj.all", LexicographerFiles.Standard[0]);
        Assert.Equal("noun.Tops", LexicographerFiles.Standard[3]);
        Assert.Equal("noun.act", LexicographerFiles.Standard[4]);
        Assert.Equal("noun.time", LexicographerFiles.Standard[28]);
        Assert.Equal("verb.body", LexicographerFiles.Standard[29]);
        Assert.Equal("adj.ppl", LexicographerFiles.Standard[44]);
    }

    [Fact]
    public void LexnamesFileParsesToTheSameList()
    {
        // The format of WordNet's dict/lexnames: number, name, syntactic category, tab-separated.
        var lines = LexicographerFiles.Standard.Select((name, i) => $"{i:00}\t{name}\t{(name.StartsWith("noun") ? 1 : 2)}");

        Assert.Equal(LexicographerFiles.Standard, LexicographerFiles.Parse(lines));
    }

    [Theory]
    [InlineData("an entity that has physical existence", "an entity that has physical existence", new string[0])]
    [InlineData("an assemblage of parts that is regarded as a single entity; \"how big is that part compared to the whole?\"; \"the team is a unit\"",
        "an assemblage of parts that is regarded as a single entity", new[] { "how big is that part compared to the whole?", "the team is a unit" })]
    [InlineData("\"only an example\"", "", new[] { "only an example" })]
    public void GlossSplitsIntoDefinitionAndExamples(string gloss, string definition, string[] examples)
    {
        Assert.Equal(definition, WordNetGloss.Definition(gloss));
        Assert.Equal(examples, WordNetGloss.Examples(gloss));
    }
}
