using TorchSharp;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// The safetensors dtype names this reader and writer support, and their TorchSharp equivalents.
/// The format defines more (F8 variants, unsigned 16/32/64-bit), but TorchSharp has no scalar
/// type for them, so they are rejected rather than silently reinterpreted.
/// </summary>
public static class SafeTensorsDType
{
    private static readonly (string Name, torch.ScalarType Type, int Size)[] Table =
    [
        ("F64", torch.ScalarType.Float64, 8),
        ("F32", torch.ScalarType.Float32, 4),
        ("F16", torch.ScalarType.Float16, 2),
        ("BF16", torch.ScalarType.BFloat16, 2),
        ("I64", torch.ScalarType.Int64, 8),
        ("I32", torch.ScalarType.Int32, 4),
        ("I16", torch.ScalarType.Int16, 2),
        ("I8", torch.ScalarType.Int8, 1),
        ("U8", torch.ScalarType.Byte, 1),
        ("BOOL", torch.ScalarType.Bool, 1),
    ];

    /// <summary>The supported dtype names, as they appear in a header.</summary>
    public static IReadOnlyList<string> SupportedNames { get; } = Array.AsReadOnly(Table.Select(row => row.Name).ToArray());

    /// <summary>Looks up a header dtype name; the format's names are upper case and matched exactly.</summary>
    public static bool TryGetScalarType(string name, out torch.ScalarType scalarType)
    {
        foreach (var row in Table)
        {
            if (row.Name == name)
            {
                scalarType = row.Type;
                return true;
            }
        }
        scalarType = default;
        return false;
    }

    /// <summary>The header dtype name for a TorchSharp scalar type, if the format can hold it.</summary>
    public static bool TryGetName(torch.ScalarType scalarType, out string name)
    {
        foreach (var row in Table)
        {
            if (row.Type == scalarType)
            {
                name = row.Name;
                return true;
            }
        }
        name = "";
        return false;
    }

    /// <summary>The header dtype name for a TorchSharp scalar type.</summary>
    /// <exception cref="ArgumentException">The scalar type has no safetensors dtype here.</exception>
    public static string GetName(torch.ScalarType scalarType) =>
        TryGetName(scalarType, out var name)
            ? name
            : throw new ArgumentException(
                $"Scalar type {scalarType} cannot be stored in safetensors; supported dtypes are {string.Join(", ", SupportedNames)}",
                nameof(scalarType));

    /// <summary>Bytes per element of a supported scalar type.</summary>
    /// <exception cref="ArgumentException">The scalar type has no safetensors dtype here.</exception>
    public static int ElementSize(torch.ScalarType scalarType)
    {
        foreach (var row in Table)
        {
            if (row.Type == scalarType)
            {
                return row.Size;
            }
        }
        throw new ArgumentException($"Scalar type {scalarType} is not a supported safetensors dtype", nameof(scalarType));
    }
}
