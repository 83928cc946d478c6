using System.Globalization;
using System.Text;

namespace UncertaintyService.Data;

/// <summary>
/// One line of a preference file: the response humans prefer (<see cref="Chosen"/>) over the other,
/// and the fraction of human judgements that prefer it, in (0.5, 1].
/// </summary>
public sealed record PreferencePair(string Prompt, string Chosen, string Rejected, double Preference, string Split);

/// <summary>The written preference file and the SHA-256 of its bytes (the dataset hash to record in run metadata).</summary>
public sealed record WrittenPreferences(string Path, string Sha256);

/// <summary>
/// Writes <c>preferences.jsonl</c>: one <c>{"prompt","chosen","rejected","preference","split"}</c> object per
/// line, with <see cref="TaskWriter"/>'s hand-written escaping so the bytes cannot change with a .NET update.
/// </summary>
public static class PreferenceWriter
{
    public const string FileName = "preferences.jsonl";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static WrittenPreferences Write(string folder, IReadOnlyList<PreferencePair> pairs)
    {
        var badSplits = pairs.Select(p => p.Split).Where(s => !TaskSplits.All.Contains(s)).Distinct().ToList();
        if (badSplits.Count > 0) throw new ArgumentException($"unknown splits: {string.Join(", ", badSplits)}", nameof(pairs));
        var outOfRange = pairs.Where(p => !(p.Preference > 0.5 && p.Preference <= 1)).Select(p => p.Preference).Distinct().ToList();
        if (outOfRange.Count > 0)
            throw new ArgumentException($"preferences outside (0.5, 1]: {string.Join(", ", outOfRange.Select(FormatPreference))}", nameof(pairs));

        Directory.CreateDirectory(folder);
        var bytes = Utf8.GetBytes(ToJsonl(pairs));
        var path = System.IO.Path.Combine(folder, FileName);
        File.WriteAllBytes(path, bytes);
        return new WrittenPreferences(path, Sha256File.OfBytes(bytes));
    }

    public static string ToJsonl(IEnumerable<PreferencePair> pairs)
    {
        var text = new StringBuilder();
        foreach (var p in pairs)
        {
            text.Append("{\"prompt\":");
            TaskWriter.AppendString(text, p.Prompt);
            text.Append(",\"chosen\":");
            TaskWriter.AppendString(text, p.Chosen);
            text.Append(",\"rejected\":");
            TaskWriter.AppendString(text, p.Rejected);
            text.Append(",\"preference\":").Append(FormatPreference(p.Preference));
            text.Append(",\"split\":");
            TaskWriter.AppendString(text, p.Split);
            text.Append("}\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// Six decimals at most, trailing zeros dropped, always a leading digit: a fixed custom format rather
    /// than the runtime's shortest round-trip, so the bytes stay the same. With ten ratings a side every
    /// preference is a multiple of 0.005, so nothing is lost.
    /// </summary>
    internal static string FormatPreference(double preference) =>
        Math.Round(preference, 6, MidpointRounding.ToEven).ToString("0.0#####", CultureInfo.InvariantCulture);
}
