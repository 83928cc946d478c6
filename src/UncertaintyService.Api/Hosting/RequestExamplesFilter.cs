using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace UncertaintyService.Api.Hosting;

/// <summary>
/// Swagger UI's "Try it out" as it should be: every operation's request body and path parameters get
/// an example that succeeds on the demo bundle (one of prompts or inputs, never both; real adapter
/// ids; query parameters too), and the admin routes carry the API-key scheme so the Authorize button sends X-Api-Key.
/// A test executes each example against the service and expects the operation's documented success.
/// </summary>
public sealed class RequestExamplesFilter : IOperationFilter
{
    public const string ApiKeyScheme = "AdminApiKey";

    private static readonly Dictionary<string, (string? Body, Dictionary<string, string> Path)> Examples = new()
    {
        ["Classify"] = ("""
            {"adapter":"wordnet-mcq","inputs":[{"text":"a domesticated carnivorous mammal that typically has a long snout","a":"animal","b":"artifact","c":"plant","d":"act"}],"samples":2000,"seed":7}
            """, []),
        ["Reward"] = ("""
            {"adapter":"vader-reward","pairs":[{"prompt":"Which word is more positive?","chosen":"wonderful","rejected":"dreadful"}],"samples":2000,"seed":7,"risk":"lower_bound","risk_coefficient":1}
            """, []),
        ["OpenRlhfReward"] = ("""
            {"query":["Which word is more positive? wonderful","Which word is more positive? dreadful"]}
            """, new() { ["adapter"] = "vader-reward", ["risk"] = "lower_bound", ["risk_coefficient"] = "1" }),
        ["Tokenize"] = ("""
            {"adapter":"wordnet-mcq","prompts":["Sense: a flow of water\nAnswer:"]}
            """, []),
        ["VllmClassify"] = ("""
            {"model":"spam","input":["E-mail:\nYou have won a FREE cruise, click now!\nIs this e-mail spam? Answer:"]}
            """, []),
        ["TeiPredict"] = ("""
            {"inputs":"E-mail:\nYou have won a FREE cruise, click now!\nIs this e-mail spam? Answer:"}
            """, new() { ["adapter"] = "spam" }),
        // The id is a placeholder: the outcome of a prediction the service really answered (the test puts one in).
        ["RecordOutcomes"] = ("""
            {"outcomes":[{"prediction_id":"019ae4a1-6c2e-7b1d-9f30-4d8a2c6e1b57","label":"A"}]}
            """, []),
        ["LiveCalibration"] = (null, new() { ["id"] = "wordnet-mcq", ["method"] = "laplace", ["target_accuracy"] = "0.9" }),
        ["LiveReliabilityDiagram"] = (null, new() { ["id"] = "wordnet-mcq", ["method"] = "laplace" }),
        ["LoadAdapter"] = ("""
            {"bundle":"demo","id":"wordnet-mcq-copy","path":"demo/adapters/wordnet-mcq"}
            """, []),
        ["UnloadAdapter"] = (null, new() { ["id"] = "wordnet-mcq-copy" }),
        ["GetAdapter"] = (null, new() { ["id"] = "wordnet-mcq" }),
        ["ReliabilityDiagram"] = (null, new() { ["id"] = "wordnet-mcq", ["split"] = "test", ["method"] = "laplace" }),
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var name = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
        if (name is null) return;
        if (name is "LoadAdapter" or "UnloadAdapter")
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }];
        if (!Examples.TryGetValue(name, out var example)) return;
        if (example.Body is { } body && operation.RequestBody?.Content is { } content)
            foreach (var media in content.Values)
                media.Example = JsonNode.Parse(body);
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            if (parameter.Name is { } p && example.Path.TryGetValue(p, out var value))
                parameter.Example = JsonValue.Create(value);
    }
}
