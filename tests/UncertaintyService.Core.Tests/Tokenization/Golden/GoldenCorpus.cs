using System.Text;
using System.Text.RegularExpressions;

namespace UncertaintyService.Core.Tests.Tokenization.Golden;

/// <summary>
/// The strings every tokenizer is compared on, built the same way on every run from the repository's
/// own text and a seeded generator: prose (README sentences), code (the project's C#, Python and shell
/// lines), e-mails, the demo templates filled, runs of every printable ASCII character and of spaces,
/// tabs and newlines of lengths 1-40, accents, CJK, emoji with joiners, digits, the empty string and
/// strings that spell special tokens.
/// </summary>
public static partial class GoldenCorpus
{
    public static IReadOnlyList<string> Build()
    {
        var strings = new List<string>();
        var random = new Random(20261203);
        string root = RepositoryFiles.Root;

        // Prose: README sentences, whole lines and short paragraphs.
        var readme = File.ReadAllLines(Path.Combine(root, "README.md")).Where(l => l.Length > 0 && !l.StartsWith('|') && !l.StartsWith("```")).ToList();
        var sentences = readme.SelectMany(l => SentenceEnd().Split(l)).Where(s => s.Length > 8).Distinct().ToList();
        strings.AddRange(Pick(sentences, 500, random));
        strings.AddRange(Enumerable.Range(0, 60).Select(_ => string.Join("\n", Pick(readme, 3, random))));

        // Code, with its indentation.
        var codeFiles = new[] { "src/UncertaintyService.Core/Tokenization/PairMerger.cs", "src/UncertaintyService.Api/Program.cs", "tools/convert_kfac/convert_kfac.py",
            "tools/train-bundle.sh", "tools/tokenizer-golden/encode.mjs", ".ci/run" };
        var codeLines = codeFiles.SelectMany(f => File.ReadAllLines(Path.Combine(root, f))).Where(l => l.Trim().Length > 0).Distinct().ToList();
        strings.AddRange(Pick(codeLines, 400, random));
        strings.AddRange(Enumerable.Range(0, 40).Select(_ => string.Join("\n", Pick(codeLines, 4, random)) + "\n"));
        strings.AddRange(Enumerable.Range(0, 20).Select(i => "\tif (x == " + i + ") {\n\t\treturn y[" + i + "];\n\t}"));

        // E-mails as spam filters see them.
        string[] subjects = ["FREE money!!!", "Re: meeting tomorrow", "URGENT: your account", "Fwd: photos", "$$$ Make CASH fast $$$", "Your order #12345"];
        string[] bodies = ["Dear friend,\n\nI am contacting you about a business proposal.", "Click here: http://example.com/offer?id=42&ref=abc",
            "-------- Original Message --------", "==========================================", "Unsubscribe: mailto:remove@example.org",
            ">> quoted reply line\n> another", "Call now 1-800-555-0199 !!!", "Best regards,\n-- \nJohn Doe <john.doe@example.com>",
            "$$$$ GUARANTEED $$$$ 100% FREE ******", "Content-Type: text/plain; charset=\"iso-8859-1\"", "_______________________________________________"];
        for (int i = 0; i < 200; i++)
            strings.Add($"Subject: {subjects[random.Next(subjects.Length)]}\nFrom: user{i}@mail.example.com\n\n{string.Join("\n", Pick(bodies, 3, random))}");

        // The demo templates filled, as the service sends them.
        for (int i = 0; i < 100; i++)
        {
            var s = Pick(sentences, 5, random);
            strings.Add($"Which WordNet category does this noun sense belong to?\nSense: {s[0]}\nA. noun.act\nB. noun.artifact\nC. noun.state\nD. noun.time\nAnswer:");
            strings.Add($"E-mail:\n{s[1]} {s[2]}\nIs this e-mail spam? Answer:");
            strings.Add($"E-mail:\n{s[3]}\nIs this e-mail spam? Answer: yes");
        }

        // Runs: every printable ASCII character, and whitespace of every length 1-40, alone and in context.
        int[] lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 20, 31, 32, 40];
        for (char c = ' '; c <= '~'; c++)
            foreach (int n in lengths) strings.Add(new string(c, n));
        foreach (char c in " \t\n")
            for (int n = 1; n <= 40; n++)
            {
                strings.Add(new string(c, n));
                strings.Add("a" + new string(c, n) + "{");
            }
        for (int n = 1; n <= 40; n++) strings.Add(new string(' ', n) + "{");
        strings.Add("\r\n\r\n");
        strings.Add(" \t \n \r ");

        // Accents, composed and combining, and other scripts.
        string[] accented = ["café", "naïve", "Zoë", "résumé", "cafe\u0301", "Ångström", "straße", "Øre", "Łódź", "São Paulo", "Tiếng Việt có dấu",
            "Ελληνικά γράμματα", "Русский текст", "עברית", "العربية", "हिन्दी", "ภาษาไทย", "ﬁnancial ﬂow", "Ⅻ ½ ² ³", "İstanbul ıi", "ǅ ǈ ǋ"];
        strings.AddRange(accented);
        strings.AddRange(accented.Select(a => "The word " + a + " appears here."));
        string[] cjk = ["你好，世界", "日本語のテキストです。", "한국어 문장입니다", "中文和English混合", "東京タワー", "漢字かなカナ", "我爱自然语言处理。", "ｆｕｌｌｗｉｄｔｈ　ｓｐａｃｅ"];
        strings.AddRange(cjk);
        strings.AddRange(cjk.Select(c => c + " " + c));

        // Emoji: single, skin tones, joined families and professions, flags, keycaps.
        string[] emoji = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "👩🏾‍💻", "🏳️‍🌈", "🇺🇸🇯🇵", "1️⃣", "❤️", "🧑‍🤝‍🧑", "🤷‍♂️", "😀😀😀", "🐕‍🦺"];
        strings.AddRange(emoji);
        strings.AddRange(emoji.Select(e => "I feel " + e + " today!"));

        // Digits.
        for (int n = 1; n <= 20; n++) strings.Add(string.Concat(Enumerable.Range(0, n).Select(i => (char)('0' + (i * 7 + n) % 10))));
        strings.AddRange(["3.14159", "-42", "1,000,000", "2026-12-03", "12:30:45", "+1 (555) 010-9999", "0x1F", "1e-9", "٣٤٥", "१२३", "v1.2.3"]);

        // Special-token spellings of all five tokenizers, alone and in text.
        string[] specials = ["<s>", "</s>", "<unk>", "<pad>", "<bos>", "<eos>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
            "<|start_header_id|>user<|end_header_id|>", "<|im_start|>system", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<start_of_turn>",
            "<end_of_turn>", "<0x0A>", "▁", "▁▁hello", "<s><s>", "< s >", "<|reserved_special_token_5|>", "[INST]", "<mask>"];
        strings.AddRange(specials);
        strings.AddRange(specials.Select(s => "before " + s + " after"));
        strings.AddRange(specials.Select(s => s + "text"));

        // Small things.
        strings.AddRange(["", " ", "a", "A", " A", "Answer: A", "Answer:", "\u0000", "\u0001\u0002", "\u00a0", "\u200b", "\ufeff", "\u2028", "a\u0300"]);

        // Mixtures of everything above.
        var pool = strings.Where(s => s.Length is > 0 and < 200).ToList();
        for (int i = 0; i < 500; i++) strings.Add(string.Concat(Pick(pool, 1 + random.Next(4), random).Select(s => s + (random.Next(3) == 0 ? " " : ""))));

        return strings;
    }

    private static List<string> Pick(IReadOnlyList<string> from, int count, Random random) =>
        Enumerable.Range(0, count).Select(_ => from[random.Next(from.Count)]).ToList();

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();
}
