using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LLMRace.Grains.Timing;

/// <summary>
/// A TCP connection read with the kernel's receive stamp of each read (Linux, <c>SO_TIMESTAMPNS</c>): a zero-byte receive
/// waits for data the usual async way, then <c>recvmsg</c> with <c>MSG_DONTWAIT</c> takes the bytes and the stamp of the
/// segment that brought the last of them. The stamp goes to the reader's <see cref="ReadStamps"/> scope.
/// </summary>
public sealed class StampedSocketStream(Socket socket) : Stream
{
    private const int MsgDontWait = 0x40;
    private const int EAgain = 11;
    private const int EIntr = 4;
    private const int SoTimestampNs = 35;
    private readonly byte[] _control = new byte[128];

    /// <summary>Turns receive stamps on; false where the platform has no such option (the caller then reads plainly).</summary>
    public static bool TryEnable(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
            return false;
        try
        {
            socket.SetRawSocketOption(ControlMessages.SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// The provider client's connect: a socket of its own with receive stamps on (when the platform allows), so every
    /// read of a provider's stream carries the kernel's time.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(System.Net.Http.SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return TryEnable(socket) ? new StampedSocketStream(socket) : new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (buffer.Length == 0) return await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
        while (true)
        {
            var read = TryReceive(buffer.Span);
            if (read >= 0) return read;
            // Nothing queued: wait for data without taking it, then take it with its stamp.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        while (true)
        {
            var read = TryReceive(buffer);
            if (read >= 0) return read;
            socket.Poll(-1, SelectMode.SelectRead);
        }
    }

    /// <summary>One <c>recvmsg</c>: the bytes read (0 at the end), or −1 when none are queued yet.</summary>
    private int TryReceive(Span<byte> buffer)
    {
        var fd = (int)socket.SafeHandle.DangerousGetHandle();
        while (true)
        {
            var (received, controlLength) = Native.Receive(fd, buffer, _control);
            if (received >= 0)
            {
                var stamp = ControlMessages.ReceiveStampNs(_control.AsSpan(0, Math.Min(controlLength, _control.Length)));
                if (received > 0 && ReadStamps.Current is { } scope)
                {
                    if (stamp is { } ns) scope.Stamped(KernelClock.ToStopwatch(ns));
                    else scope.Missed();
                }
                return (int)received;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr) continue;
            if (errno == EAgain) return -1;
            throw new IOException($"recvmsg failed: {new SocketException(errno).Message}", new SocketException(errno));
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        while (buffer.Length > 0)
        {
            var sent = await socket.SendAsync(buffer, SocketFlags.None, ct);
            buffer = buffer[sent..];
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0) buffer = buffer[socket.Send(buffer)..];
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) socket.Dispose();
        base.Dispose(disposing);
    }

    private static unsafe class Native
    {
        public static (nint Received, int ControlLength) Receive(int fd, Span<byte> buffer, byte[] controlBuffer)
        {
            fixed (byte* data = buffer)
            fixed (byte* control = controlBuffer)
            {
                var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlBuffer.Length };
                var received = recvmsg(fd, &message, MsgDontWait);
                return (received, (int)message.ControlLength);
            }
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct IoVec
        {
            public byte* Base;
            public nuint Length;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct MsgHdr
        {
            public void* Name;
            public uint NameLength;
            public IoVec* Iov;
            public nuint IovLength;
            public byte* Control;
            public nuint ControlLength;
            public int Flags;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern nint recvmsg(int fd, MsgHdr* message, int flags);
    }
}
