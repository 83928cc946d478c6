using TorchSharp;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// One tensor as a safetensors header describes it. Begin and End are byte offsets
/// relative to the start of the data region (just after the header), End exclusive.
/// </summary>
public sealed record TensorEntry(string Name, string DType, torch.ScalarType ScalarType, long[] Shape, long Begin, long End)
{
    /// <summary>Bytes the tensor occupies in the file.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Product of the shape; 1 for a scalar, 0 when any dimension is 0.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var dim in Shape)
            {
                count *= dim;
            }
            return count;
        }
    }
}
