using System.Buffers.Binary;

namespace LLMRace.Grains.Timing;

/// <summary>
/// Reads the kernel's stamps out of the control messages of a <c>recvmsg</c> on 64-bit Linux: a sequence of
/// <c>cmsghdr {size_t len; int level; int type;}</c> each followed by its data, 8-byte aligned. A read's receive stamp is
/// <c>SCM_TIMESTAMPNS</c> (level SOL_SOCKET, type 35) holding a <c>timespec {long sec; long nsec;}</c> of CLOCK_REALTIME;
/// a transmit stamp from the error queue is <c>SCM_TIMESTAMPING</c> (type 37): three timespecs, the software one first.
/// </summary>
public static class ControlMessages
{
    public const int SolSocket = 1;
    public const int ScmTimestampNs = 35;
    public const int ScmTimestamping = 37;
    private const int HeaderSize = 16;

    /// <summary>The receive stamp in nanoseconds since the Unix epoch, or null when the messages hold none (or are malformed).</summary>
    public static long? ReceiveStampNs(ReadOnlySpan<byte> control) => StampNs(control, ScmTimestampNs);

    /// <summary>The software transmit stamp of an error-queue message, in nanoseconds since the Unix epoch, or null.</summary>
    public static long? TransmitStampNs(ReadOnlySpan<byte> control) => StampNs(control, ScmTimestamping);

    private static long? StampNs(ReadOnlySpan<byte> control, int stampType)
    {
        var offset = 0;
        while (offset + HeaderSize <= control.Length)
        {
            var length = BinaryPrimitives.ReadInt64LittleEndian(control[offset..]);
            if (length < HeaderSize || offset + length > control.Length) return null;
            var level = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 8)..]);
            var type = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 12)..]);
            if (level == SolSocket && type == stampType && length >= HeaderSize + 16)
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
