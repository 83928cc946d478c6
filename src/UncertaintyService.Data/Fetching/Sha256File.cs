using System.Security.Cryptography;

namespace UncertaintyService.Data;

/// <summary>SHA-256 of files and bytes as lowercase hex, the form pinned in the sources.</summary>
public static class Sha256File
{
    public static string Of(string filePath)
    {
        using var stream = File.OpenRead(filePath);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string OfBytes(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Throws <see cref="ChecksumMismatchException"/> naming the file unless its hash is <paramref name="expectedSha256"/>.</summary>
    public static void Verify(string filePath, string expectedSha256)
    {
        var actual = Of(filePath);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new ChecksumMismatchException(filePath, expectedSha256.ToLowerInvariant(), actual);
    }
}
