using UncertaintyService.Api.Options;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Http;

/// <summary>What a request sends to be read as prompts: raw texts or template inputs, and optionally its own labels.</summary>
public interface IPromptRequest
{
    string? Adapter { get; }
    IReadOnlyList<string>? Prompts { get; }
    IReadOnlyList<Dictionary<string, string>>? Inputs { get; }
    IReadOnlyList<string>? Labels { get; }
}

/// <summary>
/// Reads a request's prompts and labels against an adapter and the limits, the same way for every
/// endpoint that takes them (/v1/classify, /v1/tokenize); problems go to <paramref name="errors"/> by field.
/// </summary>
public sealed class PromptReader(LimitOptions limits, FieldErrors errors)
{
    /// <summary>The prompt texts: raw, or the adapter's template filled with each input's fields.</summary>
    public List<string> Texts(IPromptRequest request, LoadedAdapter adapter)
    {
        if ((request.Prompts is null) == (request.Inputs is null))
        {
            errors.Add("prompts", "give exactly one of prompts (raw texts) or inputs (template fields)");
            return [];
        }
        int count = request.Prompts?.Count ?? request.Inputs!.Count;
        string field = request.Prompts is null ? "inputs" : "prompts";
        if (count < 1 || count > limits.MaxPromptsPerRequest)
        {
            errors.Add(field, $"{count} prompts; a request takes 1..{limits.MaxPromptsPerRequest}");
            return [];
        }
        if (request.Prompts is not null)
            return request.Prompts.Select((p, i) => CheckText(p, $"prompts[{i}]")).ToList();

        if (adapter.Task.PromptTemplate is null)
        {
            errors.Add("inputs", $"adapter '{adapter.Id}' has no prompt template; send prompts instead");
            return [];
        }
        var texts = new List<string>();
        for (int i = 0; i < request.Inputs!.Count; i++)
        {
            var fields = request.Inputs[i] ?? [];
            var (prompt, missing, unknown) = adapter.Task.Fill(fields);
            foreach (var name in missing) errors.Add($"inputs[{i}].{name}", "is required by the prompt template");
            foreach (var name in unknown) errors.Add($"inputs[{i}].{name}", $"is not a field of the prompt template ({string.Join(", ", adapter.Task.TemplateFields)})");
            foreach (var (name, value) in fields.Where(f => f.Value is null)) errors.Add($"inputs[{i}].{name}", "must be a string");
            texts.Add(prompt is null ? "" : CheckText(prompt, $"inputs[{i}]"));
        }
        return texts;
    }

    private string CheckText(string? text, string field)
    {
        if (string.IsNullOrEmpty(text)) errors.Add(field, "must be a non-empty string");
        else if (text.Length > limits.MaxPromptCharacters) errors.Add(field, $"{text.Length} characters; the limit is {limits.MaxPromptCharacters}");
        else return text;
        return "";
    }

    /// <summary>A prompt's token ids as the model sees them (BOS included), or null when its text was refused.</summary>
    public int[]? Tokenize(LoadedAdapter adapter, string text, int index)
    {
        if (text.Length == 0) return null;
        var ids = adapter.Base.Tokenizer.EncodePrompt(text);
        if (ids.Length > limits.MaxPromptTokens)
            errors.Add($"prompts[{index}]", $"{ids.Length} tokens; the limit is {limits.MaxPromptTokens}");
        return ids;
    }

    /// <summary>The labels scored and their token ids: the request's, each one token after the prompt, or the adapter's.</summary>
    public (IReadOnlyList<string> Labels, long[] ClassIndices) Labels(IPromptRequest request, LoadedAdapter adapter)
    {
        if (request.Labels is null)
            return (adapter.Task.Labels, adapter.LabelTokenIds.Select(i => (long)i).ToArray());
        var labels = request.Labels;
        if (labels.Count < 2 || labels.Count > limits.MaxLabels)
        {
            errors.Add("labels", $"{labels.Count} labels; give 2..{limits.MaxLabels}");
            return ([], []);
        }
        if (labels.Any(string.IsNullOrEmpty))
        {
            errors.Add("labels", "labels must be non-empty strings");
            return ([], []);
        }
        if (labels.Distinct().Count() != labels.Count)
            errors.Add("labels", "labels must be distinct");
        var ids = labels.Select(l => adapter.Base.Tokenizer.LabelToken(l, adapter.Task.LabelContext)).ToArray();
        var unmapped = labels.Where((_, i) => ids[i] is null).ToList();
        if (unmapped.Count > 0)
            errors.Add("labels", $"not one token after the prompt: {string.Join(", ", unmapped.Select(l => $"'{l}'"))}");
        if (ids.Where(i => i is not null).Distinct().Count() != ids.Count(i => i is not null))
            errors.Add("labels", "two labels map to the same token");
        return (labels, ids.Select(i => (long)(i ?? 0)).ToArray());
    }
}
