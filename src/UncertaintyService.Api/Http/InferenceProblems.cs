namespace UncertaintyService.Api.Http;

/// <summary>The problem statuses every route that queues model work can answer, declared once for the OpenAPI document.</summary>
public static class InferenceProblems
{
    public static RouteHandlerBuilder ProducesInferenceProblems(this RouteHandlerBuilder route) => route
        .ProducesBodyProblems()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status424FailedDependency)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>What reading a JSON body can answer (RequestJson): malformed, not JSON, too large, too slow.</summary>
    public static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder route) => route
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status408RequestTimeout);
}
