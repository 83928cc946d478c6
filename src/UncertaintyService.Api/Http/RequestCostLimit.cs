using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Http;

/// <summary>Refuses, before it is queued, a request whose cost is above Limits:MaxRequestCost.</summary>
public static class RequestCostLimit
{
    public static void Check(InferenceJob job, LimitOptions limits)
    {
        if (job.Cost <= limits.MaxRequestCost) return;
        var problem = $"this request costs {job.Cost:N0} token-passes (texts x longest text x passes per text); "
            + $"Limits:MaxRequestCost is {limits.MaxRequestCost:N0}: send fewer or shorter texts, fewer samples or fewer labels";
        throw new ServiceException(ErrorKind.Validation, "Request too costly", $"cost: {problem}",
            new Dictionary<string, string[]> { ["cost"] = [problem] });
    }
}
