using Polly;
using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// How bundle loading retries: only I/O that may succeed on a second try (a busy or flaky disk, a
/// network mount), never a malformed file or a missing one, with exponential back-off.
/// </summary>
public static class LoadRetry
{
    public static ResiliencePipeline Create(int attempts, TimeSpan delay) =>
        TransientRetry.Create(attempts, delay, e => e is IOException io && IsTransient(io));

    public static bool IsTransient(IOException e) =>
        e is not (SafeTensorsFormatException or FileNotFoundException or DirectoryNotFoundException);
}
