using System.Text.Json;

namespace UncertaintyService.Api.Http;

/// <summary>vLLM's POST /classify request: the model (here an adapter id) and one text or a list of texts.</summary>
public sealed record VllmClassifyRequest
{
    /// <summary>The adapter id (vLLM's served model name).</summary>
    /// <example>spam</example>
    public string? Model { get; init; }

    /// <summary>A text or a list of texts, each classified with the adapter's labels. Token-id input is not accepted.</summary>
    public JsonElement? Input { get; init; }

    /// <summary>vLLM's end-user id; accepted and not used.</summary>
    public string? User { get; init; }
}

/// <summary>vLLM's classification response, with this service's uncertainty beside each result.</summary>
public sealed record VllmClassifyResponse(string Id, string Object, long Created, string Model, IReadOnlyList<VllmClassifyData> Data, VllmUsage Usage);

/// <param name="Index">Position of the input.</param>
/// <param name="Label">The most probable label.</param>
/// <param name="Probs">Class probabilities, in the adapter's label order (the posterior predictive of its default method).</param>
/// <param name="NumClasses">Number of labels.</param>
/// <param name="Uncertainty">This service's addition: the method, labels, logit moments, MAP and probit probabilities, their spread and the entropy split.</param>
public sealed record VllmClassifyData(int Index, string Label, double[] Probs, int NumClasses, VllmUncertainty Uncertainty);

public sealed record VllmUncertainty(string Method, IReadOnlyList<string> Labels, double[] LogitMean, double[] LogitVariance, double[] ProbsMap,
    double[] ProbsProbit, double[] ProbsStd, double TotalEntropy, double Aleatoric, double Epistemic);

public sealed record VllmUsage(int PromptTokens, int TotalTokens, int CompletionTokens, object? PromptTokensDetails);

/// <summary>Text Embeddings Inference's POST /predict request, for the adapter named in the route.</summary>
public sealed record TeiPredictRequest
{
    /// <summary>A text, or a list of texts (a batch). Text pairs are not accepted.</summary>
    public JsonElement? Inputs { get; init; }

    /// <summary>TEI: return raw scores (logits) instead of probabilities.</summary>
    /// <example>false</example>
    public bool? RawScores { get; init; }
}

/// <summary>One label's score, as TEI returns it (a list per input, most probable first).</summary>
public sealed record TeiPrediction(double Score, string Label);

/// <summary>Reads a compatible route's text-or-list input into prompts, naming the field when it is neither.</summary>
public static class TextOrList
{
    public static (IReadOnlyList<string> Texts, bool Single) Read(JsonElement? input, string field)
    {
        if (input is { ValueKind: JsonValueKind.String } text) return ([text.GetString()!], true);
        if (input is { ValueKind: JsonValueKind.Array } list && list.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            return (list.EnumerateArray().Select(e => e.GetString()!).ToList(), false);
        throw ServiceException(field);
    }

    private static Serving.ServiceException ServiceException(string field) =>
        Serving.ServiceException.Invalid(field, "must be a string or a list of strings (token ids and text pairs are not accepted)");
}
