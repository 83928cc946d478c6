using System.Globalization;
using System.Text;

namespace UncertaintyService.Data;

/// <summary>The files of a written task and the SHA-256 of its JSONL bytes (the dataset hash to record in run metadata).</summary>
public sealed record WrittenTask(string ExamplesPath, string DefinitionPath, string ExamplesSha256);

/// <summary>
/// Writes a task folder: <c>examples.jsonl</c> (one <c>{"prompt","label","split"}</c> object per line) and
/// <c>task.json</c>. The JSON escaping is done here, not by a library encoder, so the bytes (and so the
/// dataset hash) cannot change with a .NET update: only <c>"</c>, <c>\</c> and control characters are escaped.
/// </summary>
public static class TaskWriter
{
    public const string ExamplesFileName = "examples.jsonl";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static WrittenTask Write(string folder, IReadOnlyList<TaskExample> examples, TaskDefinitionFile definition)
    {
        var unknown = examples.Select(e => e.Label).Where(l => !definition.Labels.Contains(l)).Distinct().ToList();
        if (unknown.Count > 0) throw new ArgumentException($"labels not in task.json: {string.Join(", ", unknown)}", nameof(examples));
        var badSplits = examples.Select(e => e.Split).Where(s => !TaskSplits.All.Contains(s)).Distinct().ToList();
        if (badSplits.Count > 0) throw new ArgumentException($"unknown splits: {string.Join(", ", badSplits)}", nameof(examples));

        Directory.CreateDirectory(folder);
        var bytes = Utf8.GetBytes(ToJsonl(examples));
        var examplesPath = Path.Combine(folder, ExamplesFileName);
        var definitionPath = Path.Combine(folder, TaskDefinitionFile.FileName);
        File.WriteAllBytes(examplesPath, bytes);
        File.WriteAllBytes(definitionPath, Utf8.GetBytes(definition.ToJson()));
        return new WrittenTask(examplesPath, definitionPath, Sha256File.OfBytes(bytes));
    }

    public static string ToJsonl(IEnumerable<TaskExample> examples)
    {
        var text = new StringBuilder();
        foreach (var e in examples)
        {
            text.Append("{\"prompt\":");
            AppendString(text, e.Prompt);
            text.Append(",\"label\":");
            AppendString(text, e.Label);
            text.Append(",\"split\":");
            AppendString(text, e.Split);
            text.Append("}\n");
        }
        return text.ToString();
    }

    // Shared with PreferenceWriter so both files escape identically.
    internal static void AppendString(StringBuilder text, string value)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    // Control characters must be escaped in JSON; a lone surrogate has no UTF-8 form.
                    var loneSurrogate = char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                                        && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value[i - 1]));
                    if (c < ' ' || loneSurrogate)
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        text.Append(c);
                    break;
            }
        }
        text.Append('"');
    }
}
