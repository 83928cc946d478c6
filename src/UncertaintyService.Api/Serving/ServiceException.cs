namespace UncertaintyService.Api.Serving;

/// <summary>Every way a request can fail on purpose; Http/ProblemMapping maps each to one status code.</summary>
public enum ErrorKind
{
    /// <summary>The body is not JSON of the expected shape (400).</summary>
    MalformedRequest,

    /// <summary>Well-formed but not acceptable: a field's value breaks a rule (422).</summary>
    Validation,

    /// <summary>No such adapter or model (404).</summary>
    NotFound,

    /// <summary>Missing or wrong admin key (401).</summary>
    Unauthorized,

    /// <summary>The admin routes are switched off (no key configured) (403).</summary>
    Forbidden,

    /// <summary>The queue is full (429, with Retry-After).</summary>
    Overloaded,

    /// <summary>The request did not finish within the configured timeout (503).</summary>
    Timeout,

    /// <summary>Models are still loading, or none loaded (503).</summary>
    NotReady,

    /// <summary>The model produced something unusable, such as NaN (424).</summary>
    Backend,

    /// <summary>The body is not JSON: a missing, other or non-UTF-8 Content-Type (415).</summary>
    UnsupportedMediaType,

    /// <summary>The body is larger than Limits:MaxBodyBytes (413).</summary>
    PayloadTooLarge,

    /// <summary>The body arrived too slowly (Kestrel's minimum data rate) (408).</summary>
    RequestTimeout,

    /// <summary>The client closed the connection before the request was read or answered (499, nothing is sent).</summary>
    ClientClosed,
}

/// <summary>A failure the API reports as ProblemDetails; <see cref="Errors"/> names the offending fields.</summary>
public sealed class ServiceException(ErrorKind kind, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception(detail)
{
    public ErrorKind Kind { get; } = kind;
    public string Title { get; } = title;
    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;

    /// <summary>Further members of the ProblemDetails body (such as how many outcomes of a partly refused batch were kept).</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    /// <summary>For 429 and 503: seconds the client should wait before retrying.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    public static ServiceException Invalid(string field, string problem) =>
        new(ErrorKind.Validation, "Invalid request", $"{field}: {problem}", new Dictionary<string, string[]> { [field] = [problem] });
}
