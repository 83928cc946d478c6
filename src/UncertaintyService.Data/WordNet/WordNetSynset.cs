namespace UncertaintyService.Data;

/// <summary>One line of a WordNet <c>data.*</c> file (see wndb(5WN)).</summary>
/// <param name="Offset">The eight-digit byte offset that identifies the synset within its file.</param>
/// <param name="LexFileName">The lexicographer file <see cref="LexFileNumber"/> names, e.g. <c>noun.artifact</c>.</param>
/// <param name="SynsetType">n, v, a, s or r.</param>
/// <param name="Words">The lemmas as written in the file (underscores for spaces).</param>
/// <param name="Gloss">Everything after <c> | </c>, trimmed: the definition and the quoted examples.</param>
public sealed record WordNetSynset(
    string Offset,
    int LexFileNumber,
    string LexFileName,
    char SynsetType,
    IReadOnlyList<string> Words,
    IReadOnlyList<WordNetPointer> Pointers,
    string Gloss)
{
    /// <summary>The gloss without its usage examples, e.g. "an assemblage of parts that is regarded as a single entity".</summary>
    public string Definition => WordNetGloss.Definition(Gloss);

    /// <summary>The gloss's quoted usage examples without their quotes, in order; empty when it has none.</summary>
    public IReadOnlyList<string> Examples => WordNetGloss.Examples(Gloss);
}

/// <summary>A relation to another synset or word: <c>@ 00001740 n 0000</c> is a hypernym of the whole synset.</summary>
/// <param name="SourceTarget">Four hex digits: source and target word numbers, <c>0000</c> for synset-to-synset.</param>
public sealed record WordNetPointer(string Symbol, string TargetOffset, char PartOfSpeech, string SourceTarget);
