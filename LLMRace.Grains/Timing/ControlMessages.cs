using System.Buffers.Binary;

namespace LLMRace.Grains.Timing;

/// <summary>
/// Reads the kernel's receive stamp out of the control messages of a <c>recvmsg</c> on 64-bit Linux: a sequence of
/// <c>cmsghdr {size_t len; int level; int type;}</c> each followed by its data, 8-byte aligned; the stamp is
/// <c>SCM_TIMESTAMPNS</c> (level SOL_SOCKET, type 35) holding a <c>timespec {long sec; long nsec;}</c> of CLOCK_REALTIME.
/// </summary>
public static class ControlMessages
{
    public const int SolSocket = 1;
    public const int ScmTimestampNs = 35;
    private const int HeaderSize = 16;

    /// <summary>The stamp in nanoseconds since the Unix epoch, or null when the messages hold none (or are malformed).</summary>
    public static long? ReceiveStampNs(ReadOnlySpan<byte> control)
    {
        var offset = 0;
        while (offset + HeaderSize <= control.Length)
        {
            var length = BinaryPrimitives.ReadInt64LittleEndian(control[offset..]);
            if (length < HeaderSize || offset + length > control.Length) return null;
            var level = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 8)..]);
            var type = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 12)..]);
            if (level == SolSocket && type == ScmTimestampNs && length >= HeaderSize + 16)
            {
                var seconds = BinaryPrimitives.ReadInt64LittleEndian(control[(offset + HeaderSize)..]);
                var nanoseconds = BinaryPrimitives.ReadInt64LittleEndian(control[(offset + HeaderSize + 8)..]);
                if (seconds <= 0 || nanoseconds is < 0 or >= 1_000_000_000) return null;
                return seconds * 1_000_000_000 + nanoseconds;
            }
            offset += (int)((length + 7) & ~7L);
        }
        return null;
    }
}
