using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using LLMRace.Grains.Timing;

namespace LLMRace.Tests.Unit;

/// <summary>The kernel's receive stamp read out of recvmsg's control messages, and a real loopback socket read with it.</summary>
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
        var lying = (byte[])stamp.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(lying, 4096);
        Assert.Null(ControlMessages.ReceiveStampNs(lying));
    }

    [Fact]
    public async Task A_loopback_read_carries_the_kernels_stamp_taken_before_the_reader_had_the_bytes_and_partial_reads_keep_order()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptSocketAsync();
        Assert.True(StampedSocketStream.TryEnable(socket));
        await using var stream = new StampedSocketStream(socket);
        var stamps = ReadStamps.Current = new ReadStamps();

        var reading = stream.ReadAsync(new byte[3]).AsTask();
        await server.SendAsync("abcdef"u8.ToArray());
        Assert.Equal(3, await reading);
        var after = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(1, stamps.Reads);
        Assert.True(stamps.LastStamp <= after, $"a stamp later than the read that returned it: {(stamps.LastStamp - after) / 1e6} ms");
        var buffer = new byte[16];
        Assert.Equal(3, await stream.ReadAsync(buffer));
        Assert.Equal("def"u8.ToArray(), buffer[..3]);
        Assert.Equal(2, stamps.Reads);

        server.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(buffer));
        Assert.Equal(0, stamps.Unstamped);
    }
}
