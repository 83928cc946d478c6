using TorchSharp;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// Raw byte access to a contiguous CPU tensor's storage. Tensor.bytes is a Span, so it cannot
/// cover more than 2 GiB; a large lm_head or embedding in F32 can exceed that, so the storage
/// is visited in slices of whole elements, each a view narrowed out of the flattened tensor.
/// </summary>
internal static class TensorStorage
{
    internal const long DefaultChunkBytes = 1L << 30;

    /// <summary>Fills <paramref name="destination"/> from <paramref name="byteLength"/> bytes at <paramref name="source"/>.</summary>
    public static unsafe void CopyInto(torch.Tensor destination, byte* source, long byteLength, long chunkBytes = DefaultChunkBytes)
    {
        var copied = 0L;
        ForEachSlice(destination, chunkBytes, span =>
        {
            new ReadOnlySpan<byte>(source + copied, span.Length).CopyTo(span);
            copied += span.Length;
        });
        if (copied != byteLength)
        {
            throw new InvalidOperationException($"Copied {copied} bytes into a tensor that needed {byteLength}");
        }
    }

    /// <summary>Writes the tensor's bytes, in memory order, to <paramref name="stream"/>.</summary>
    public static void WriteTo(torch.Tensor source, Stream stream, long chunkBytes = DefaultChunkBytes) =>
        ForEachSlice(source, chunkBytes, span => stream.Write(span));

    private delegate void SliceAction(Span<byte> slice);

    private static void ForEachSlice(torch.Tensor tensor, long chunkBytes, SliceAction action)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
        {
            throw new ArgumentException("Raw storage access needs a contiguous CPU tensor", nameof(tensor));
        }
        var count = tensor.numel();
        if (count == 0)
        {
            return;
        }
        var elementSize = tensor.element_size();
        var perSlice = Math.Max(1, chunkBytes / elementSize);
        using var flat = tensor.view(-1);
        for (var start = 0L; start < count; start += perSlice)
        {
            using var slice = flat.narrow(0, start, Math.Min(perSlice, count - start));
            action(slice.bytes);
        }
    }
}
