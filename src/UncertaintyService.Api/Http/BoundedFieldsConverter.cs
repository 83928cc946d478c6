using System.Text.Json;
using System.Text.Json.Serialization;

namespace UncertaintyService.Api.Http;

/// <summary>
/// Reads a template input object (field name -> string) and stops at the first field past the limit,
/// so a body of a million keys costs a few bytes of reading, not a million dictionary entries and a
/// million error lines.
/// </summary>
public sealed class BoundedFieldsConverter(int maxFields) : JsonConverter<Dictionary<string, string>>
{
    public override Dictionary<string, string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("must be an object of field name -> string");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            if (fields.Count == maxFields) throw new JsonException($"more than {maxFields} fields (Limits:MaxTemplateFields)");
            if (!reader.Read() || reader.TokenType != JsonTokenType.String) throw new JsonException($"field '{name}' must be a string");
            if (!fields.TryAdd(name, reader.GetString()!)) throw new JsonException($"field '{name}' is given twice");
        }
        return fields;
    }

    public override void Write(Utf8JsonWriter writer, Dictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, text) in value) writer.WriteString(name, text);
        writer.WriteEndObject();
    }
}
