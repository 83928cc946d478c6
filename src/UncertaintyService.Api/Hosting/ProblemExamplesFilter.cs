using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using UncertaintyService.Api.Http;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Hosting;

/// <summary>Gives every error response of the OpenAPI document an example ProblemDetails with its kind.</summary>
public sealed class ProblemExamplesFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.Responses is null) return;
        var name = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
        bool admin = name is "LoadAdapter" or "UnloadAdapter";
        foreach (var (status, response) in operation.Responses)
        {
            if (!int.TryParse(status, out int code) || code < 400 || response.Content is null) continue;
            var kind = ProblemMapping.StatusCodes.FirstOrDefault(p => p.Value == code).Key;
            var example = new JsonObject
            {
                ["title"] = Title(code),
                ["status"] = code,
                ["detail"] = admin ? AdminDetail(code) ?? Detail(code) : Detail(code),
                ["kind"] = code == 415 ? "UnsupportedMediaType" : kind.ToString(),
            };
            if (code == 422)
                example["errors"] = admin
                    ? new JsonObject { ["path"] = new JsonArray("'demo/adapters/missing' is not a folder under the model root") }
                    : new JsonObject { ["samples"] = new JsonArray("0 is outside 1..10000") };
            foreach (var media in response.Content.Values)
                media.Example = example;
        }
    }

    private static string Title(int code) => code switch
    {
        400 => "Malformed request",
        401 => "Unauthorized",
        403 => "Admin disabled",
        404 => "Adapter not found",
        415 => "Unsupported media type",
        413 => "Payload too large",
        408 => "Request timeout",
        422 => "Invalid request",
        424 => "Model failure",
        429 => "Too many requests",
        503 => "Timed out",
        _ => "Error",
    };

    // The admin routes' own failures (the request shape differs: bundle, id, path).
    private static string? AdminDetail(int code) => code switch
    {
        400 => "The body is not a valid request at $.path: wrong type or out of range",
        404 => "bundle: 'other' is not loaded",
        422 => "path: 'demo/adapters/missing' is not a folder under the model root",
        _ => null,
    };

    private static string Detail(int code) => code switch
    {
        400 => "The body is not a valid request at $.samples: wrong type or out of range",
        401 => "Header X-Api-Key is missing or wrong.",
        403 => "No admin API key is configured (UncertaintyService:Admin:ApiKey); the admin routes are off.",
        404 => "adapter: 'nope' is not loaded; GET /v1/adapters lists the adapters",
        415 => "Content-Type must be application/json (got 'text/plain')",
        413 => "The body is larger than Limits:MaxBodyBytes",
        408 => "The body arrived too slowly; send it at once",
        422 => "samples: 0 is outside 1..10000",
        424 => "prompts[0]: the model produced non-finite logits or covariance",
        429 => "The queue holds 256 requests already; retry shortly.",
        503 => "The request did not finish within 30 s; the service is busy, retry shortly.",
        _ => "",
    };
}
