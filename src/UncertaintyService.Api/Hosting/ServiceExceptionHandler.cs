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
            case ServiceException { Kind: ErrorKind.ClientClosed }:
            case OperationCanceledException or IOException when context.RequestAborted.IsCancellationRequested:
                RequestOutcomes.Kind(context, ErrorKind.ClientClosed);
                // The client went away; there is nobody to answer. 499 (not the middleware's 500) is what metrics record.
                context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
                context.Abort(); // nothing to drain from a connection that is gone
                return true;
            case ServiceException e:
                RequestOutcomes.Kind(context, e.Kind);
                await ProblemMapping.ToResult(e, context).ExecuteAsync(context);
                return true;
            default:
                logger.LogError(exception, "Unhandled error on {Path}", context.Request.Path);
                return false;
        }
    }
}
