using System.Text.Json;
using Microsoft.Net.Http.Headers;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Http;

/// <summary>
/// The one way request bodies are read: UTF-8 JSON only (415 otherwise), at most Limits:MaxBodyBytes
/// (413, enforced by Kestrel before the rest is read), property names in their exact case, no duplicate
/// keys, bounded nesting; broken JSON, a wrong type or an unknown field is a 400 that says where; a body
/// that arrives too slowly is a 408; a client that goes away mid-body is a 499 with nothing sent and
/// nothing logged as an error.
/// </summary>
public static class RequestJson
{
    public static async Task<T> Read<T>(HttpRequest request, JsonSerializerOptions options) where T : class
    {
        CheckContentType(request.ContentType);
        try
        {
            // No cancellation token for the read itself: a read cancelled by RequestAborted leaves Kestrel's body
            // reader mid-read, and its draining then logs an error; a reset connection fails the read anyway.
            return await JsonSerializer.DeserializeAsync<T>(request.Body, options, CancellationToken.None)
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
            throw e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => new ServiceException(ErrorKind.PayloadTooLarge, "Payload too large",
                    $"The body is larger than Limits:MaxBodyBytes ({e.Message})"),
                StatusCodes.Status408RequestTimeout => new ServiceException(ErrorKind.RequestTimeout, "Request timeout",
                    "The body arrived too slowly; send it at once"),
                _ => new ServiceException(ErrorKind.MalformedRequest, "Malformed request", $"The body could not be read: {e.Message}"),
            };
        }
        catch (Exception e) when (e is Microsoft.AspNetCore.Connections.ConnectionResetException or Microsoft.AspNetCore.Connections.ConnectionAbortedException
            || (e is IOException or OperationCanceledException && request.HttpContext.RequestAborted.IsCancellationRequested))
        {
            throw new ServiceException(ErrorKind.ClientClosed, "Client closed request", "The client closed the connection.");
        }
        catch (IOException e)
        {
            // A transfer Kestrel could not decode (a chunk size past 64 bits, say) that it did not report as a bad request.
            throw new ServiceException(ErrorKind.MalformedRequest, "Malformed request", $"The body could not be read: {e.Message}");
        }
    }

    private static void CheckContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
            throw UnsupportedMediaType($"Content-Type must be application/json (got '{contentType ?? "none"}')");
        var type = media.MediaType.Value ?? "";
        bool json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        if (!json)
            throw UnsupportedMediaType($"Content-Type must be application/json (got '{contentType}')");
        var charset = media.Charset.Value;
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            throw UnsupportedMediaType($"JSON bodies are read as UTF-8; charset '{charset}' is not accepted");
    }

    private static ServiceException UnsupportedMediaType(string detail) => new(ErrorKind.UnsupportedMediaType, "Unsupported media type", detail);

    // System.Text.Json's messages name .NET types; say it in the API's terms where we can.
    private static string Explain(JsonException e) => e.Message switch
    {
        var m when m.Contains("could not be mapped", StringComparison.Ordinal) => "unknown field",
        var m when m.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) => "a key given twice",
        var m when m.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || e.InnerException?.Message.Contains("UTF-8", StringComparison.Ordinal) == true
            => "not valid UTF-8 text",
        var m when m.Contains("could not be converted", StringComparison.Ordinal) => "wrong type or out of range",
        var m => m.Split(" Path:", 2)[0],
    };
}
