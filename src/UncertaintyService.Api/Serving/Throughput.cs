namespace UncertaintyService.Api.Serving;

/// <summary>
/// The worker's measured rate in token-passes per second (an exponential moving average over
/// batches), so a 429 can tell the client how long the queued work will take: its Retry-After.
/// </summary>
public sealed class Throughput
{
    private const double Weight = 0.2;
    private readonly Lock gate = new();
    private double perSecond;

    public void Record(long cost, TimeSpan elapsed)
    {
        if (cost <= 0 || elapsed <= TimeSpan.Zero) return;
        double rate = cost / elapsed.TotalSeconds;
        lock (gate) perSecond = perSecond == 0 ? rate : (1 - Weight) * perSecond + Weight * rate;
    }

    /// <summary>Token-passes per second measured so far; 0 before the first batch.</summary>
    public double PerSecond
    {
        get { lock (gate) return perSecond; }
    }

    /// <summary>Whole seconds to get through <paramref name="cost"/> at the measured rate: at least 1, at most an hour; 1 before any measurement.</summary>
    public int SecondsFor(long cost)
    {
        double rate;
        lock (gate) rate = perSecond;
        return rate == 0 ? 1 : (int)Math.Clamp(Math.Ceiling(cost / rate), 1, 3600);
    }
}
