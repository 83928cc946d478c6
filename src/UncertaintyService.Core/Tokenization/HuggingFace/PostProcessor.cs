namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>
/// What tokenizer.json's post_processor adds around one encoded text (a TemplateProcessing "single"
/// template: special tokens before and after the sequence $A). ByteLevel only adjusts offsets, so it
/// adds nothing here.
/// </summary>
internal sealed record PostProcessor(IReadOnlyList<int> Before, IReadOnlyList<int> After)
{
    public static readonly PostProcessor None = new([], []);

    public static PostProcessor Read(JsonNode? node)
    {
        if (node is not { } processor) return None;
        switch (processor.Type())
        {
            case "ByteLevel":
                processor.AllowOnly("type", "add_prefix_space", "trim_offsets", "use_regex");
                return None;
            case "Sequence":
                processor.AllowOnly("type", "processors");
                var parts = processor.Child("processors").Items().Select(p => Read(p)).ToList();
                return new PostProcessor(parts.SelectMany(p => p.Before).ToList(), parts.AsEnumerable().Reverse().SelectMany(p => p.After).ToList());
            case "TemplateProcessing":
                return ReadTemplate(processor);
            default:
                throw processor.Child("type").Error($"post-processor '{processor.Type()}' is not supported (TemplateProcessing, ByteLevel, Sequence are)");
        }
    }

    private static PostProcessor ReadTemplate(JsonNode node)
    {
        node.AllowOnly("type", "single", "pair", "special_tokens");
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (node.Optional("special_tokens") is { } table && table.Element.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (var entry in table.Element.EnumerateObject())
            {
                var special = new JsonNode(node.File, entry.Value, $"{table.Path}.{entry.Name}");
                special.AllowOnly("id", "ids", "tokens");
                specials[entry.Name] = special.Child("ids").Items().Select(i => i.Int()).ToArray();
            }
        }
        var before = new List<int>();
        var after = new List<int>();
        bool sequenceSeen = false;
        foreach (var item in node.Child("single").Items())
        {
            item.AllowOnly("SpecialToken", "Sequence");
            if (item.Optional("Sequence") is { } sequence)
            {
                sequence.AllowOnly("id", "type_id");
                if (sequence.Child("id").String() != "A" || sequenceSeen) throw sequence.Error("a single template holds the sequence A once");
                sequenceSeen = true;
                continue;
            }
            var token = item.Child("SpecialToken");
            token.AllowOnly("id", "type_id");
            string name = token.Child("id").String();
            if (!specials.TryGetValue(name, out var ids)) throw token.Error($"special token '{name}' is not in special_tokens");
            (sequenceSeen ? after : before).AddRange(ids);
        }
        if (!sequenceSeen) throw node.Child("single").Error("holds no sequence A");
        return new PostProcessor(before, after);
    }
}
