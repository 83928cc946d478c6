using System.Runtime.InteropServices;
using UncertaintyService.Core.Formats;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// What an admin load may read: the folder and every JSON and safetensors file in it must resolve,
/// links followed, to a real path inside the model root; each must be a regular file (no FIFO that
/// hangs a reader, no /dev/zero, no directory standing where a file is read), and JSON files at most
/// <see cref="MaxJsonBytes"/>. Checked before anything is opened, so a bad folder is a 422 at once.
/// (Start-up bundles are the operator's own configuration and are not held to this.)
/// </summary>
public static class AdminFolderPolicy
{
    /// <summary>Largest JSON file an adapter folder may hold (calibration reports are the largest, tens of kB).</summary>
    public const long MaxJsonBytes = 16L << 20;

    public static void Check(string folder, string modelRoot)
    {
        string root = RealPath(modelRoot) ?? throw new BundleFormatException(modelRoot, null, "the model root does not exist");
        string rootPrefix = root.EndsWith('/') ? root : root + "/";
        string realFolder = RealPath(folder) ?? throw new BundleFormatException(folder, null, "does not exist");
        if (!realFolder.StartsWith(rootPrefix, StringComparison.Ordinal))
            throw new BundleFormatException(folder, null, $"resolves to {realFolder}, outside the model root");
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            string name = Path.GetFileName(entry);
            bool json = name.EndsWith(".json", StringComparison.Ordinal), tensors = name.EndsWith(".safetensors", StringComparison.Ordinal);
            if (!json && !tensors) continue;
            string real = RealPath(entry) ?? throw new BundleFormatException(entry, null, "is a link to nothing");
            if (!real.StartsWith(rootPrefix, StringComparison.Ordinal))
                throw new BundleFormatException(entry, null, $"resolves to {real}, outside the model root");
            var (type, size) = Stat(real);
            if (type != RegularFile)
                throw new BundleFormatException(entry, null, $"is a {Describe(type)}, not a regular file");
            if (json && size > MaxJsonBytes)
                throw new BundleFormatException(entry, null, $"is {size} bytes; a JSON file of an adapter may be at most {MaxJsonBytes}");
        }
    }

    private const int RegularFile = 0x8000, Directory_ = 0x4000, Fifo = 0x1000, CharDevice = 0x2000, BlockDevice = 0x6000, Socket = 0xC000;

    private static string Describe(int type) => type switch
    {
        Directory_ => "directory",
        Fifo => "FIFO (named pipe)",
        CharDevice => "character device",
        BlockDevice => "block device",
        Socket => "socket",
        _ => $"file of type 0x{type:X}",
    };

    // realpath(3): the absolute path with every link resolved, or null when it does not exist.
    private static string? RealPath(string path)
    {
        IntPtr resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    // statx(2) with the layout every architecture shares: stx_mode (u16) at byte 28, stx_size (u64) at 40.
    private static (int Type, long Size) Stat(string path)
    {
        var buffer = new byte[256];
        const int AtFdCwd = -100, StatxType = 0x1, StatxSize = 0x200;
        if (statx(AtFdCwd, path, 0, StatxType | StatxSize, buffer) != 0)
            throw new BundleFormatException(path, null, $"cannot be examined (errno {Marshal.GetLastPInvokeError()})");
        int mode = BitConverter.ToUInt16(buffer, 28);
        return (mode & 0xF000, BitConverter.ToInt64(buffer, 40));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mask, byte[] buffer);
}
