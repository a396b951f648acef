using System.Buffers.Binary;
using LLMRace.Grains.Timing;

namespace LLMRace.Tests.Unit;

/// <summary>The kernel's receive and transmit stamps read out of recvmsg's control messages.</summary>
public sealed class ControlMessagesTests
{
    private static byte[] Message(int level, int type, byte[] data)
    {
        var length = 16 + data.Length;
        var bytes = new byte[(length + 7) & ~7];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), level);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), type);
        data.CopyTo(bytes, 16);
        return bytes;
    }

    private static byte[] Timespec(long seconds, long nanoseconds)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, seconds);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), nanoseconds);
        return bytes;
    }

    [Fact]
    public void The_stamp_is_found_after_other_messages_and_is_null_when_absent_or_malformed()
    {
        var stamp = Message(1, 35, Timespec(1_767_225_600, 123_456_789));
        Assert.Equal(1_767_225_600_123_456_789, ControlMessages.ReceiveStampNs(stamp));
        var other = Message(0, 8, [1, 2, 3, 4]);
        Assert.Equal(1_767_225_600_123_456_789, ControlMessages.ReceiveStampNs([.. other, .. stamp]));
        Assert.Null(ControlMessages.ReceiveStampNs(other));
        Assert.Null(ControlMessages.ReceiveStampNs([]));
        Assert.Null(ControlMessages.ReceiveStampNs(stamp.AsSpan(0, 20)));
        Assert.Null(ControlMessages.ReceiveStampNs(Message(1, 35, Timespec(1, 2_000_000_000))));
        Assert.Null(ControlMessages.TransmitStampNs(stamp));
        var lying = (byte[])stamp.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(lying, 4096);
        Assert.Null(ControlMessages.ReceiveStampNs(lying));
    }

    [Fact]
    public void The_transmit_stamp_is_the_software_one_of_the_three_and_is_not_taken_for_a_receive_stamp()
    {
        var three = Timespec(1_767_225_600, 5).Concat(Timespec(0, 0)).Concat(Timespec(0, 0)).ToArray();
        var stamping = Message(1, 37, three);
        var extendedError = Message(0, 11, new byte[16]);
        Assert.Equal(1_767_225_600_000_000_005, ControlMessages.TransmitStampNs([.. extendedError, .. stamping]));
        Assert.Null(ControlMessages.ReceiveStampNs(stamping));
        Assert.Null(ControlMessages.TransmitStampNs(Message(1, 37, Timespec(0, 0))));
    }
}
