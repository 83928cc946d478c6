using System.Text;
using System.Text.Json;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// Parses and validates the JSON header of a safetensors file. Everything a later Load relies on
/// (dtype known, byte range inside the data region and of the right size, no two tensors sharing
/// bytes) is checked here, so a bad file fails at open time with the tensor named, not mid-inference.
/// </summary>
internal sealed class SafeTensorsHeader
{
    internal const string MetadataKey = "__metadata__";

    // Strict decoding: the format requires UTF-8, and a lenient decoder would turn damage into U+FFFD names.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly string _filePath;

    private SafeTensorsHeader(string filePath, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<TensorEntry> entries)
    {
        _filePath = filePath;
        Metadata = metadata;
        Entries = entries;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IReadOnlyList<TensorEntry> Entries { get; }

    /// <param name="filePath">Used only in error messages.</param>
    /// <param name="json">The header bytes, trailing space padding included.</param>
    /// <param name="dataLength">Bytes in the data region, i.e. after the header.</param>
    public static SafeTensorsHeader Parse(string filePath, ReadOnlySpan<byte> json, long dataLength)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(json);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SafeTensorsFormatException(filePath, null, "header is not valid UTF-8", ex);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new SafeTensorsFormatException(filePath, null, $"header is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException(filePath, null, $"header is a JSON {Kind(root)}, expected an object");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<TensorEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    // JsonDocument keeps both copies; which one wins would be an accident of this parser.
                    throw Error(filePath, property.Name == MetadataKey ? null : property.Name, $"'{property.Name}' appears twice in the header");
                }
                if (property.Name == MetadataKey)
                {
                    ReadMetadata(filePath, property.Value, metadata);
                }
                else
                {
                    entries.Add(ReadEntry(filePath, property.Name, property.Value, dataLength));
                }
            }

            var header = new SafeTensorsHeader(filePath, metadata.AsReadOnly(), entries.AsReadOnly());
            header.CheckNoOverlap();
            return header;
        }
    }

    private static void ReadMetadata(string filePath, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(filePath, null, $"{MetadataKey} is a JSON {Kind(value)}, expected an object of strings");
        }
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(filePath, null, $"{MetadataKey} value for key '{item.Name}' is a JSON {Kind(item.Value)}, expected a string");
            }
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Error(filePath, null, $"{MetadataKey} key '{item.Name}' appears twice");
            }
        }
    }

    private static TensorEntry ReadEntry(string filePath, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(filePath, name, $"entry is a JSON {Kind(value)}, expected an object with dtype, shape and data_offsets");
        }

        var dtypeElement = Required(filePath, name, value, "dtype", JsonValueKind.String);
        var dtype = dtypeElement.GetString()!;
        if (!SafeTensorsDType.TryGetScalarType(dtype, out var scalarType))
        {
            throw Error(filePath, name, $"unsupported dtype '{dtype}'; supported dtypes are {string.Join(", ", SafeTensorsDType.SupportedNames)}");
        }

        var shapeElement = Required(filePath, name, value, "shape", JsonValueKind.Array);
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var size))
            {
                throw Error(filePath, name, $"shape[{i}] is {dim.GetRawText()}, expected a non-negative integer");
            }
            if (size < 0)
            {
                throw Error(filePath, name, $"shape[{i}] is {size}; dimensions must be non-negative");
            }
            shape[i++] = size;
        }

        var offsetsElement = Required(filePath, name, value, "data_offsets", JsonValueKind.Array);
        var (begin, end) = ReadOffsets(filePath, name, offsetsElement);
        if (end > dataLength)
        {
            throw Error(filePath, name, $"data_offsets end {end} is past the end of the data region ({dataLength} bytes)");
        }

        var elementSize = SafeTensorsDType.ElementSize(scalarType);
        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (product, dim) => product * dim) * elementSize);
        }
        catch (OverflowException)
        {
            throw Error(filePath, name, $"shape {FormatShape(shape)} is too large to address");
        }
        if (expected != end - begin)
        {
            throw Error(filePath, name,
                $"data_offsets cover {end - begin} bytes but shape {FormatShape(shape)} of {dtype} needs {expected} bytes");
        }

        return new TensorEntry(name, dtype, scalarType, shape, begin, end);
    }

    private static (long Begin, long End) ReadOffsets(string filePath, string name, JsonElement offsets)
    {
        var values = new List<long>(2);
        foreach (var item in offsets.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var offset) || offset < 0)
            {
                values.Clear();
                break;
            }
            values.Add(offset);
        }
        if (values.Count != 2 || values[0] > values[1])
        {
            throw Error(filePath, name, $"data_offsets must be two ascending non-negative integers, got {offsets.GetRawText()}");
        }
        return (values[0], values[1]);
    }

    private static JsonElement Required(string filePath, string name, JsonElement entry, string key, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(key, out var value))
        {
            throw Error(filePath, name, $"entry is missing '{key}'");
        }
        if (value.ValueKind != kind)
        {
            throw Error(filePath, name, $"'{key}' is a JSON {Kind(value)}, expected {(kind == JsonValueKind.Array ? "an array" : "a string")}");
        }
        return value;
    }

    private void CheckNoOverlap()
    {
        // Zero-length ranges hold no bytes, so they cannot collide with anything.
        var ordered = Entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            var previous = ordered[i - 1];
            var current = ordered[i];
            if (current.Begin < previous.End)
            {
                throw Error(_filePath, current.Name,
                    $"bytes [{current.Begin}, {current.End}) overlap tensor '{previous.Name}' at [{previous.Begin}, {previous.End})");
            }
        }
    }

    internal static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => element.ValueKind.ToString(),
    };

    private static SafeTensorsFormatException Error(string filePath, string? tensorName, string problem) =>
        new(filePath, tensorName, problem);
}
