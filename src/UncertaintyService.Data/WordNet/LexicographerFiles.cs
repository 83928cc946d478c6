namespace UncertaintyService.Data;

/// <summary>
/// The lexicographer files a synset's two-digit <c>lex_filenum</c> indexes. Debian's package ships no
/// <c>lexnames</c> file, so the fixed list from WordNet's lexnames(5WN) page is the default.
/// </summary>
public static class LexicographerFiles
{
    public static readonly IReadOnlyList<string> Standard =
    [
        "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
        "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
        "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
        "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
        "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change",
        "verb.cognition", "verb.communication", "verb.competition", "verb.consumption", "verb.contact",
        "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social",
        "verb.stative", "verb.weather", "adj.ppl",
    ];

    /// <summary>Parses a <c>lexnames</c> file: lines of <c>NN name syntactic_category</c>, numbered from 00.</summary>
    public static IReadOnlyList<string> Parse(IEnumerable<string> lines)
    {
        var byNumber = new SortedDictionary<int, string>();
        foreach (var line in lines)
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2) continue;
            if (!int.TryParse(fields[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
                throw new FormatException($"lexnames line does not start with a file number: '{line}'");
            byNumber[number] = fields[1];
        }
        if (byNumber.Count == 0 || byNumber.Keys.Last() != byNumber.Count - 1)
            throw new FormatException("lexnames numbers must run from 00 without gaps");
        return byNumber.Values.ToList();
    }
}
