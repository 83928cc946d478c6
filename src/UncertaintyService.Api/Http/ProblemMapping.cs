using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Http;

/// <summary>The one mapping from error kinds to status codes and ProblemDetails.</summary>
public static class ProblemMapping
{
    public static readonly IReadOnlyDictionary<ErrorKind, int> StatusCodes = new Dictionary<ErrorKind, int>
    {
        [ErrorKind.MalformedRequest] = Microsoft.AspNetCore.Http.StatusCodes.Status400BadRequest,
        [ErrorKind.Validation] = Microsoft.AspNetCore.Http.StatusCodes.Status422UnprocessableEntity,
        [ErrorKind.NotFound] = Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound,
        [ErrorKind.Unauthorized] = Microsoft.AspNetCore.Http.StatusCodes.Status401Unauthorized,
        [ErrorKind.Forbidden] = Microsoft.AspNetCore.Http.StatusCodes.Status403Forbidden,
        [ErrorKind.Overloaded] = Microsoft.AspNetCore.Http.StatusCodes.Status429TooManyRequests,
        [ErrorKind.Timeout] = Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable,
        [ErrorKind.NotReady] = Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable,
        [ErrorKind.Backend] = Microsoft.AspNetCore.Http.StatusCodes.Status424FailedDependency,
        [ErrorKind.UnsupportedMediaType] = Microsoft.AspNetCore.Http.StatusCodes.Status415UnsupportedMediaType,
        [ErrorKind.PayloadTooLarge] = Microsoft.AspNetCore.Http.StatusCodes.Status413PayloadTooLarge,
        [ErrorKind.RequestTimeout] = Microsoft.AspNetCore.Http.StatusCodes.Status408RequestTimeout,
        [ErrorKind.ClientClosed] = Microsoft.AspNetCore.Http.StatusCodes.Status499ClientClosedRequest,
    };

    public static IResult ToResult(ServiceException e, HttpContext context)
    {
        int status = StatusCodes[e.Kind];
        if (e.Kind is ErrorKind.Overloaded or ErrorKind.Timeout or ErrorKind.NotReady)
            context.Response.Headers.RetryAfter = e.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var extensions = new Dictionary<string, object?> { ["kind"] = e.Kind.ToString() };
        if (e.Errors is not null) extensions["errors"] = e.Errors;
        foreach (var (key, value) in e.Extensions ?? new Dictionary<string, object?>()) extensions[key] = value;
        return TypedResults.Problem(detail: e.Message, statusCode: status, title: e.Title, extensions: extensions);
    }
}
