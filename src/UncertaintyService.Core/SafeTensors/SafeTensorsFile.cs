using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using TorchSharp;

namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// A read-only, memory-mapped safetensors file. The header is validated when the file is opened;
/// tensors are copied out of the mapping one at a time on <see cref="Load"/>, so opening a large
/// checkpoint costs only its header. Loads may run concurrently; Dispose must not race them.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    // The prefix is a little-endian u64 holding the header length.
    private const int PrefixLength = sizeof(ulong);

    // As in the reference implementation: a bigger header is damage, not a model, and would be a huge allocation.
    private const long MaxHeaderLength = 100_000_000;

    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, TensorEntry> _byName;
    private readonly long _dataStart;
    private byte* _pointer;

    private SafeTensorsFile(string filePath, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* pointer,
        SafeTensorsHeader header, long dataStart)
    {
        FilePath = filePath;
        _mapping = mapping;
        _view = view;
        _pointer = pointer;
        _dataStart = dataStart;
        Metadata = header.Metadata;
        Entries = header.Entries;
        _byName = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public string FilePath { get; }

    /// <summary>The header's __metadata__ strings; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in header order.</summary>
    public IReadOnlyList<TensorEntry> Entries { get; }

    /// <exception cref="SafeTensorsFormatException">The file is not a well-formed safetensors file.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static SafeTensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = stream.Length;
        if (length < PrefixLength)
        {
            stream.Dispose();
            throw new SafeTensorsFormatException(path, null,
                $"file is {length} bytes, shorter than the {PrefixLength}-byte header length prefix");
        }

        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            pointer += view.PointerOffset;

            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(pointer, PrefixLength));
            if (headerLength > (ulong)(length - PrefixLength))
            {
                throw new SafeTensorsFormatException(path, null,
                    $"header length {headerLength} runs past the end of the file ({length} bytes)");
            }
            if (headerLength > MaxHeaderLength)
            {
                throw new SafeTensorsFormatException(path, null,
                    $"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit");
            }

            var dataStart = PrefixLength + (long)headerLength;
            var header = SafeTensorsHeader.Parse(path,
                new ReadOnlySpan<byte>(pointer + PrefixLength, (int)headerLength), length - dataStart);
            return new SafeTensorsFile(path, mapping, view, pointer, header, dataStart);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            view?.Dispose();
            mapping?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <exception cref="SafeTensorsFormatException">The file has no tensor of that name.</exception>
    public TensorEntry GetEntry(string name) =>
        _byName.TryGetValue(name, out var entry)
            ? entry
            : throw new SafeTensorsFormatException(FilePath, name, "no such tensor in the file");

    /// <summary>
    /// Copies a tensor out of the file into a new tensor of the file's dtype and shape, then converts it
    /// to <paramref name="dtype"/> and moves it to <paramref name="device"/> when given. The caller owns the result.
    /// </summary>
    public torch.Tensor Load(string name, torch.ScalarType? dtype = null, torch.Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        var entry = GetEntry(name);

        var tensor = torch.empty(entry.Shape, entry.ScalarType, torch.CPU);
        try
        {
            TensorStorage.CopyInto(tensor, _pointer + _dataStart + entry.Begin, entry.ByteLength);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }

        var targetType = dtype ?? entry.ScalarType;
        var needsMove = device is not null && device.type != DeviceType.CPU;
        if (targetType == entry.ScalarType && !needsMove)
        {
            return tensor;
        }

        var converted = tensor.to(targetType, device ?? torch.CPU);
        if (!ReferenceEquals(converted, tensor))
        {
            tensor.Dispose();
        }
        return converted;
    }

    public void Dispose()
    {
        if (_pointer is null)
        {
            return;
        }
        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }
}
