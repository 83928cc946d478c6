using System.Globalization;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// Prediction ids are version-7 UUIDs: random, and their first 48 bits are the Unix milliseconds they were made
/// at, so an id the store no longer has can be told apart as expired (older than retention) or unknown.
/// </summary>
public static class PredictionIds
{
    public static string New(DateTimeOffset now) => Guid.CreateVersion7(now).ToString();

    /// <summary>The time a well-formed version-7 id was made; null for anything else.</summary>
    public static DateTimeOffset? MadeAt(string id)
    {
        if (!Guid.TryParseExact(id, "D", out var guid) || guid.Version != 7) return null;
        var hex = guid.ToString("N")[..12];
        return DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
