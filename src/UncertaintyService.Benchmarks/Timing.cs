using System.Diagnostics;

namespace UncertaintyService.Benchmarks;

/// <summary>Median wall time of an action over repetitions, after a warm-up run.</summary>
internal static class Timing
{
    public static double MedianMilliseconds(Action action, int repetitions)
    {
        action();
        var times = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repetitions / 2];
    }
}
