using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LLMRace.Grains.Timing;

/// <summary>
/// A TCP connection read with the kernel's receive stamp of each read (Linux, <c>SO_TIMESTAMPNS</c>): a zero-byte receive
/// waits for data the usual async way, then <c>recvmsg</c> with <c>MSG_DONTWAIT</c> takes the bytes and the stamp of the
/// segment that brought the last of them. With <paramref name="transmitStamps"/> (<c>SO_TIMESTAMPING</c>, software TX) the
/// kernel also stamps when each write's last byte left, taken from the socket's error queue as the send returns (or, when
/// the device stamps it later, at the next read: by then the request has surely left, the server answered it). Both are kept in <see cref="Stamps"/>, which
/// the caller's <see cref="SocketStamps"/> follows.
/// </summary>
public sealed class StampedSocketStream(Socket socket, bool transmitStamps = false) : Stream
{
    private const int MsgDontWait = 0x40;
    private const int MsgErrQueue = 0x2000;
    private const int EAgain = 11;
    private const int EIntr = 4;
    private const int SoTimestampNs = 35;
    private const int SoTimestamping = 37;
    // SOF_TIMESTAMPING_TX_SOFTWARE | SOFTWARE (report it) | OPT_TSONLY (the stamp without a copy of the packet).
    private const int TransmitStampFlags = (1 << 1) | (1 << 4) | (1 << 11);
    // The first byte of a TLS record that is not application data; an HTTP/1.1 request starts with a letter.
    private const byte TlsChangeCipherSpec = 20, TlsAlert = 21, TlsHandshake = 22;
    private readonly byte[] _control = new byte[256];
    private bool _transmitStampPending;

    public ConnectionStamps Stamps { get; } = new();

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

    /// <summary>Asks the kernel to stamp when written bytes leave; false where it cannot (the send is then timed in user space).</summary>
    public static bool TryEnableTransmitStamps(Socket socket)
    {
        try
        {
            socket.SetRawSocketOption(ControlMessages.SolSocket, SoTimestamping, BitConverter.GetBytes(TransmitStampFlags));
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
            return KernelStamping.EnsureOn() && TryEnable(socket) ? new StampedSocketStream(socket, TryEnableTransmitStamps(socket))
                : new NetworkStream(socket, ownsSocket: true);
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
        if (_transmitStampPending) TakeTransmitStamp(fd, lastTry: true);
        while (true)
        {
            var (received, controlLength) = SocketCalls.Receive(fd, buffer, _control, MsgDontWait);
            if (received >= 0)
            {
                var stamp = ControlMessages.ReceiveStampNs(_control.AsSpan(0, Math.Min(controlLength, _control.Length)));
                if (received > 0)
                {
                    if (stamp is { } ns) Stamps.Stamped(KernelClock.ToStopwatch(ns));
                    else Stamps.Missed();
                }
                return (int)received;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr) continue;
            if (errno == EAgain) return -1;
            throw new IOException($"recvmsg failed: {new SocketException(errno).Message}", new SocketException(errno));
        }
    }

    /// <summary>
    /// Empties the error queue of the writes' transmit stamps, keeping the newest: when the last byte written so far left.
    /// Nothing else is queued there on a connected TCP socket; what is not a stamp is dropped as read.
    /// </summary>
    private void TakeTransmitStamp(int fd, bool lastTry)
    {
        Span<byte> none = stackalloc byte[1];
        long? newest = null;
        while (true)
        {
            var (received, controlLength) = SocketCalls.Receive(fd, none, _control, MsgErrQueue | MsgDontWait);
            if (received < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr) continue;
                break;
            }
            newest = ControlMessages.TransmitStampNs(_control.AsSpan(0, Math.Min(controlLength, _control.Length))) ?? newest;
        }
        _transmitStampPending = newest is null && !lastTry;
        if (newest is { } ns) Stamps.Sent(KernelClock.ToStopwatch(ns), byKernel: true);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        while (buffer.Length > 0)
        {
            var sending = Sending(buffer.Span);
            var sent = await socket.SendAsync(buffer, SocketFlags.None, ct);
            buffer = buffer[sent..];
            Sent(sending);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var sending = Sending(buffer);
            buffer = buffer[socket.Send(buffer)..];
            Sent(sending);
        }
    }

    /// <summary>
    /// The send call that began at <paramref name="sending"/> returned. The kernel's stamp is usually queued by then (on
    /// loopback always): taken at once, it is converted before the wall clock can be stepped; else the next read takes it.
    /// </summary>
    private void Sent(long sending)
    {
        Stamps.Sent(sending, byKernel: false);
        if (transmitStamps) TakeTransmitStamp((int)socket.SafeHandle.DangerousGetHandle(), lastTry: false);
    }

    /// <summary>
    /// A write is the request's, in its own flow: the scope follows this connection from here. Not a TLS handshake's (or
    /// alert's) record: the handshake runs while the connection is being set up, in whatever flow asked for a connection,
    /// and that request may be given another one. A write's time until the kernel's stamp comes is when the send call began
    /// (never later than the bytes left, unlike a time taken after it returns).
    /// </summary>
    private long Sending(ReadOnlySpan<byte> bytes)
    {
        if (bytes[0] is not (TlsChangeCipherSpec or TlsAlert or TlsHandshake)) SocketStamps.Current?.Bind(Stamps);
        return Stopwatch.GetTimestamp();
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
}
