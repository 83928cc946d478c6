using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Http;

/// <summary>POST /v1/tokenize: the ids and tokens /v1/classify feeds the model, and the label tokens it reads (vLLM's /tokenize serves the same need).</summary>
public static class TokenizeEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/tokenize", Tokenize)
            .WithName("Tokenize")
            .WithSummary("The token ids and tokens the model sees for each prompt, and the label tokens")
            .WithDescription("Reads prompts (or template inputs) and labels exactly as /v1/classify and /v1/reward do, with the same limits, "
                + "and returns them tokenized without running the model.")
            .WithTags("Tokenization")
            .Accepts<TokenizeRequest>("application/json")
            .Produces<TokenizeResponse>()
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> Tokenize(HttpContext context, AdapterRegistry registry, IOptions<ServiceOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var request = await RequestJson.Read<TokenizeRequest>(context.Request, json.Value.SerializerOptions);
        if (!registry.Ready)
            throw new ServiceException(ErrorKind.NotReady, "Not ready", "Models are still loading; retry shortly.");
        if (string.IsNullOrWhiteSpace(request.Adapter))
            throw ServiceException.Invalid("adapter", "is required");
        using var lease = registry.Lease(request.Adapter) ?? throw ClassifyValidator.AdapterNotFound(request.Adapter);
        var adapter = lease.Adapter;
        var tokenizer = adapter.Base.Tokenizer;

        var errors = new FieldErrors();
        var reader = new PromptReader(options.Value.Limits, errors);
        var texts = reader.Texts(request, adapter);
        var ids = texts.Select((text, i) => reader.Tokenize(adapter, text, i)).ToList();
        bool classification = adapter.Task.Kind == "classification";
        if (!classification && request.Labels is not null)
            errors.Add("labels", $"'{adapter.Id}' is a {adapter.Task.Kind} adapter; it scores no labels");
        var (labels, labelIds) = classification ? reader.Labels(request, adapter) : ([], []);
        errors.ThrowIfAny();

        var prompts = texts.Select((text, i) => new TokenizedPrompt(text, ids[i]!, tokenizer.Pieces(ids[i]!))).ToList();
        var labelInfo = classification
            ? labels.Select((label, i) => new LabelTokenInfo(label, (int)labelIds[i], tokenizer.Pieces([(int)labelIds[i]])[0])).ToList()
            : null;
        return TypedResults.Ok(new TokenizeResponse(adapter.Id, Path.GetFileName(tokenizer.Source), adapter.Task.LabelContext, prompts, labelInfo));
    }
}
