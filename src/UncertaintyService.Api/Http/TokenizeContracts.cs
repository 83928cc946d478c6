namespace UncertaintyService.Api.Http;

/// <summary>Prompts to tokenize as /v1/classify would read them.</summary>
public sealed record TokenizeRequest : IPromptRequest
{
    /// <summary>Adapter id, as listed by GET /v1/adapters (its base model's tokenizer and its template are used).</summary>
    /// <example>wordnet-mcq</example>
    public string? Adapter { get; init; }

    /// <summary>Raw prompt texts. Give either prompts or inputs.</summary>
    /// <example>["Which WordNet category does this noun sense belong to?\nSense: a flow of water\nA. noun.act\nB. noun.object\nC. noun.state\nD. noun.time\nAnswer:"]</example>
    public IReadOnlyList<string>? Prompts { get; init; }

    /// <summary>Field values for the adapter's prompt template, one object per prompt. Give either prompts or inputs.</summary>
    public IReadOnlyList<Dictionary<string, string>>? Inputs { get; init; }

    /// <summary>Label texts to check instead of the adapter's labels (classification adapters); each must be one token after the prompt.</summary>
    /// <example>["A", "B", "C", "D"]</example>
    public IReadOnlyList<string>? Labels { get; init; }
}

/// <param name="Adapter">Adapter id.</param>
/// <param name="Tokenizer">The base model's tokenizer file (tokenizer.model or tokenizer.json).</param>
/// <param name="LabelContext">The text label tokens are read after: the template's text after its last placeholder, or "Answer:".</param>
/// <param name="Prompts">Per prompt, what the model is fed.</param>
/// <param name="Labels">The labels scored and their tokens; null for a reward adapter.</param>
public sealed record TokenizeResponse(string Adapter, string Tokenizer, string LabelContext, IReadOnlyList<TokenizedPrompt> Prompts,
    IReadOnlyList<LabelTokenInfo>? Labels);

/// <param name="Text">The prompt text (the template filled, for inputs).</param>
/// <param name="Ids">Token ids, with the tokens the tokenizer adds (BOS).</param>
/// <param name="Tokens">The vocabulary's spelling of each id ("▁A", "ĠA", "&lt;s&gt;").</param>
public sealed record TokenizedPrompt(string Text, int[] Ids, string[] Tokens);

/// <param name="Label">The label text.</param>
/// <param name="Id">The token its logit is read from.</param>
/// <param name="Token">That token's spelling.</param>
public sealed record LabelTokenInfo(string Label, int Id, string Token);
