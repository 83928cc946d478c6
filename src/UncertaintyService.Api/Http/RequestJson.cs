using System.Text.Json;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Http;

/// <summary>
/// Reads a JSON body with the API's strict options, so that broken JSON, a wrong type or an unknown
/// field becomes a 400 ProblemDetails that says where, instead of the framework's empty 400.
/// </summary>
public static class RequestJson
{
    public static async Task<T> Read<T>(HttpRequest request, JsonSerializerOptions options, CancellationToken cancellation) where T : class
    {
        if (request.HasJsonContentType() is false)
            throw new ServiceException(ErrorKind.MalformedRequest, "Malformed request",
                $"Content-Type must be application/json (got '{request.ContentType ?? "none"}')");
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellation)
                ?? throw new ServiceException(ErrorKind.MalformedRequest, "Malformed request", "The body is JSON null; expected an object.");
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            throw new ServiceException(ErrorKind.MalformedRequest, "Malformed request", $"The body is not a valid request{where}: {Explain(e)}",
                new Dictionary<string, string[]> { [string.IsNullOrEmpty(e.Path) ? "$" : e.Path] = [Explain(e)] });
        }
        catch (BadHttpRequestException e)
        {
            throw new ServiceException(ErrorKind.MalformedRequest, "Malformed request", e.Message);
        }
    }

    // System.Text.Json's messages name .NET types; say it in the API's terms where we can.
    private static string Explain(JsonException e) => e.Message switch
    {
        var m when m.Contains("could not be mapped", StringComparison.Ordinal) => "unknown field",
        var m when m.Contains("could not be converted", StringComparison.Ordinal) => "wrong type or out of range",
        var m => m.Split(" Path:", 2)[0],
    };
}
