using Microsoft.AspNetCore.Diagnostics;
using UncertaintyService.Api.Http;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Hosting;

/// <summary>Turns a <see cref="ServiceException"/> thrown anywhere in a handler into its ProblemDetails response.</summary>
public sealed class ServiceExceptionHandler(ILogger<ServiceExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case ServiceException e:
                await ProblemMapping.ToResult(e, context).ExecuteAsync(context);
                return true;
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                // The client went away; there is nobody to answer.
                return true;
            default:
                logger.LogError(exception, "Unhandled error on {Path}", context.Request.Path);
                return false;
        }
    }
}
