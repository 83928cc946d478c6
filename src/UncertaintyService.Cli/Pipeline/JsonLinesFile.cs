using System.Security.Cryptography;
using System.Text.Json;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>Reads a JSONL file (one snake_case object per line) strictly, naming the file and line of any bad record.</summary>
public static class JsonLinesFile
{
    /// <param name="what">What a record is, for the error ("a task example").</param>
    /// <param name="problem">Null for a good record, else what it lacks.</param>
    /// <returns>The records and the sha256 of the file's bytes (recorded in calibration.json).</returns>
    public static (List<T> Records, string Sha256) Read<T>(string path, string what, Func<T?, string?> problem) where T : class
    {
        var bytes = File.ReadAllBytes(path);
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        var records = new List<T>();
        int number = 0;
        foreach (var line in System.Text.Encoding.UTF8.GetString(bytes).Split('\n'))
        {
            number++;
            if (line.Trim().Length == 0) continue;
            T? record;
            try
            {
                record = JsonSerializer.Deserialize<T>(line, options);
            }
            catch (JsonException e)
            {
                // System.Text.Json's message ends in its own path and position ("Path: $.label | LineNumber: 0 ..."); say it once, in the file's terms.
                string field = e.Path is { Length: > 2 } p ? $"field '{p.TrimStart('$', '.')}': " : "";
                string reason = e.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.');
                throw new InvalidDataException($"{path}:{number}: {field}not {what}: {reason} (column {e.BytePositionInLine + 1})");
            }
            if (problem(record) is { } missing)
                throw new InvalidDataException($"{path}:{number}: {missing}");
            records.Add(record!);
        }
        return (records, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
