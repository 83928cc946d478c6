using System.Text.Json;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// The weight_map of a Hugging Face <c>model.safetensors.index.json</c>: tensor name to shard file name.
/// Shard names come from a downloaded file, so they are held to plain names inside the checkpoint
/// folder; anything that could point elsewhere on disk is refused.
/// </summary>
internal static class SafeTensorsIndex
{
    public const string FileName = "model.safetensors.index.json";

    /// <summary>The weight_map in file order.</summary>
    public static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException ex)
        {
            throw new SafeTensorsFormatException(indexPath, null, $"index is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var weightMap)
                || weightMap.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException(indexPath, null, "index has no 'weight_map' object");
            }

            var map = new List<KeyValuePair<string, string>>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in weightMap.EnumerateObject())
            {
                if (!names.Add(item.Name))
                {
                    throw new SafeTensorsFormatException(indexPath, item.Name, "weight_map lists the tensor twice");
                }
                if (item.Value.ValueKind != JsonValueKind.String)
                {
                    throw new SafeTensorsFormatException(indexPath, item.Name, "weight_map value is not a shard file name string");
                }
                var shard = item.Value.GetString()!;
                CheckShardName(indexPath, item.Name, shard);
                map.Add(new(item.Name, shard));
            }
            if (map.Count == 0)
            {
                throw new SafeTensorsFormatException(indexPath, null, "weight_map lists no tensors");
            }
            return map;
        }
    }

    private static void CheckShardName(string indexPath, string tensorName, string shard)
    {
        var plain = shard.Length > 0
            && shard is not ("." or "..")
            && shard.IndexOfAny(['/', '\\', '\0']) < 0
            && !Path.IsPathRooted(shard)
            && Path.GetFileName(shard) == shard;
        if (!plain)
        {
            throw new SafeTensorsFormatException(indexPath, tensorName,
                $"shard name '{shard}' is not a plain file name inside the checkpoint folder");
        }
    }
}
