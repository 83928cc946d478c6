using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>Writes tensors to a safetensors file that <see cref="SafeTensorsFile"/> and the Python library both read.</summary>
public static class SafeTensorsWriter
{
    // The header is padded so the data region starts 8-byte aligned, letting readers map F64/I64 in place.
    private const int HeaderAlignment = 8;

    private const string TensorsParameter = "tensors";

    /// <summary>
    /// Writes <paramref name="tensors"/> contiguously in the order given, each in its own dtype.
    /// The file appears at <paramref name="path"/> only once complete: it is written beside it as
    /// <c>path + ".tmp"</c> and then moved over any existing file. The caller's tensors are not disposed.
    /// </summary>
    /// <exception cref="ArgumentException">A name repeats or is reserved, or a tensor's dtype is not supported.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);

        // Validate everything before any file exists, so a bad argument leaves no debris behind.
        var items = tensors.ToList();
        var entries = Plan(items);
        var header = BuildHeader(entries, metadata);

        var temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Span<byte> prefix = stackalloc byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                using (torch.no_grad())
                {
                    foreach (var (_, tensor) in items)
                    {
                        WriteData(tensor, stream);
                    }
                }
                // Flush to disk before the rename, or a crash could leave a complete-looking name over partial data.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static List<TensorEntry> Plan(List<KeyValuePair<string, torch.Tensor>> items)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<TensorEntry>(items.Count);
        var offset = 0L;
        foreach (var (name, tensor) in items)
        {
            if (name is null || tensor is null)
            {
                throw new ArgumentException("A tensor name or tensor is null", TensorsParameter);
            }
            if (name == SafeTensorsHeader.MetadataKey)
            {
                throw new ArgumentException($"'{name}' is reserved for metadata and cannot name a tensor", TensorsParameter);
            }
            if (!names.Add(name))
            {
                throw new ArgumentException($"Tensor name '{name}' appears more than once", TensorsParameter);
            }
            if (!SafeTensorsDType.TryGetName(tensor.dtype, out var dtype))
            {
                throw new ArgumentException(
                    $"Tensor '{name}' has dtype {tensor.dtype}, which safetensors here cannot store; supported dtypes are {string.Join(", ", SafeTensorsDType.SupportedNames)}",
                    TensorsParameter);
            }
            var length = tensor.numel() * SafeTensorsDType.ElementSize(tensor.dtype);
            entries.Add(new TensorEntry(name, dtype, tensor.dtype, tensor.shape, offset, offset + length));
            offset += length;
        }
        return entries;
    }

    private static byte[] BuildHeader(List<TensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value ?? throw new ArgumentException($"Metadata key '{key}' has a null value", nameof(metadata)));
                }
                json.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType);
                json.WriteStartArray("shape");
                foreach (var dim in entry.Shape)
                {
                    json.WriteNumberValue(dim);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        var padding = (int)((HeaderAlignment - buffer.Length % HeaderAlignment) % HeaderAlignment);
        for (var i = 0; i < padding; i++)
        {
            buffer.WriteByte((byte)' ');
        }
        return buffer.ToArray();
    }

    private static void WriteData(torch.Tensor tensor, Stream stream)
    {
        var onCpu = tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
        var contiguous = onCpu.is_contiguous() ? onCpu : onCpu.contiguous();
        try
        {
            TensorStorage.WriteTo(contiguous, stream);
        }
        finally
        {
            // Only the copies made here are ours to free; the caller keeps its tensor.
            if (!ReferenceEquals(contiguous, tensor))
            {
                contiguous.Dispose();
            }
            if (!ReferenceEquals(onCpu, tensor) && !ReferenceEquals(onCpu, contiguous))
            {
                onCpu.Dispose();
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original failure matters more than leftover debris.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
