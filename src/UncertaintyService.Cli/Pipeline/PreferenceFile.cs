using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Tokenization;
using UncertaintyService.Data;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>A preferences.jsonl file (<c>{"prompt","chosen","rejected","preference","split"}</c> per line, as <c>data</c> writes it).</summary>
public sealed class PreferenceFile
{
    private PreferenceFile(string path, IReadOnlyList<PreferencePair> pairs, string sha256)
    {
        Path = path;
        Pairs = pairs;
        Sha256 = sha256;
    }

    public string Path { get; }
    public IReadOnlyList<PreferencePair> Pairs { get; }

    /// <summary>sha256 of the JSONL bytes, recorded in calibration.json.</summary>
    public string Sha256 { get; }

    public IReadOnlyList<string> Splits => Pairs.Select(p => p.Split).Distinct().ToList();

    public static PreferenceFile Load(string path)
    {
        var (pairs, sha256) = JsonLinesFile.Read<PreferencePair>(path, "a preference pair", pair =>
            pair is null ? "not a preference pair: null"
            : pair.Prompt is null ? "field 'prompt': missing (it may be empty)"
            : string.IsNullOrEmpty(pair.Chosen) ? "field 'chosen': missing or empty"
            : string.IsNullOrEmpty(pair.Rejected) ? "field 'rejected': missing or empty"
            : !(pair.Preference is >= 0 and <= 1) ? $"field 'preference': {pair.Preference} is not in [0, 1]"
            : KnownSplits.Problem(pair.Split));
        return new PreferenceFile(path, pairs, sha256);
    }

    public IReadOnlyList<PreferencePair> Split(string split, int? limit = null) =>
        TrainingSubset.Take(Pairs.Where(p => p.Split == split).ToList(), limit, p => $"{p.Prompt}\n{p.Chosen}\n{p.Rejected}", Path, split);

    /// <summary>Token ids of each pair's two texts (<see cref="RewardText"/>) and the human vote fractions.</summary>
    public static (List<int[]> Chosen, List<int[]> Rejected, double[] Preferences) Encode(PromptTokenizer tokenizer, TaskDefinition task,
        IReadOnlyList<PreferencePair> pairs, int maxTokens)
    {
        int[] Ids(string prompt, string response)
        {
            var ids = tokenizer.EncodePrompt(RewardText.Format(task, prompt, response));
            // Keep the end of an over-long text: the response sits there.
            return ids.Length <= maxTokens ? ids : [ids[0], .. ids[^(maxTokens - 1)..]];
        }
        return (pairs.Select(p => Ids(p.Prompt, p.Chosen)).ToList(), pairs.Select(p => Ids(p.Prompt, p.Rejected)).ToList(),
            pairs.Select(p => p.Preference).ToArray());
    }
}
