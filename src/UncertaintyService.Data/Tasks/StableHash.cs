using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace UncertaintyService.Data;

/// <summary>
/// Seeded pseudo-random numbers derived from SHA-256 of text, so every choice (split, distractors,
/// answer position) is the same on every machine and .NET version, unlike string.GetHashCode (randomised
/// per process) or System.Random (whose seeded sequence is not a documented contract).
/// </summary>
public static class StableHash
{
    /// <summary>A 64-bit value for (<paramref name="seed"/>, <paramref name="purpose"/>, <paramref name="key"/>); the purpose keeps unrelated choices independent.</summary>
    public static ulong Of(int seed, string purpose, string key)
    {
        // The unit separator cannot occur in keys, so ("a|b","c") and ("a","b|c") never collide.
        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seed}\u001f{purpose}\u001f{key}");
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }

    /// <summary>An index in [0, <paramref name="count"/>); the modulo bias is below 1e-17 for small counts.</summary>
    public static int Index(int seed, string purpose, string key, int count) =>
        (int)(Of(seed, purpose, key) % (ulong)count);

    /// <summary><paramref name="items"/> in a seeded order: by hash of each item's key, ties (never seen in practice) by key.</summary>
    public static IReadOnlyList<T> Shuffle<T>(IEnumerable<T> items, Func<T, string> key, int seed, string purpose) =>
        items.Select(item => (Item: item, Key: key(item)))
            .OrderBy(x => Of(seed, purpose, x.Key))
            .ThenBy(x => x.Key, StringComparer.Ordinal)
            .Select(x => x.Item)
            .ToList();
}
