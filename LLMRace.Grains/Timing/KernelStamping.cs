using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LLMRace.Grains.Timing;

/// <summary>
/// Keeps the kernel stamping received packets. Linux stamps them only while some socket asks for stamps, and turns stamping
/// on for the first one that asks later, from a work queue: the first segments of a fresh process (or of the first
/// connection after the last stamped one closed) could arrive unstamped. One socket kept open for the process's life
/// keeps stamping on; it is on once a datagram that socket sends itself comes back stamped.
/// </summary>
public static class KernelStamping
{
    private const int MsgDontWait = 0x40;
    private const int Attempts = 200;
    private static readonly Lock Gate = new();
    private static Socket? _keeper;
    private static volatile bool _unavailable;

    /// <summary>
    /// True once stamping is on; false where this platform gives no stamps. Only the first call waits (for the datagram,
    /// about a millisecond); every later one answers at once, the same.
    /// </summary>
    public static bool EnsureOn()
    {
        if (Volatile.Read(ref _keeper) is not null) return true;
        if (_unavailable) return false;
        lock (Gate)
        {
            if (_keeper is not null) return true;
            if (_unavailable) return false;
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                if (!StampedSocketStream.TryEnable(socket) || !ComesBackStamped(socket))
                {
                    socket.Dispose();
                    _unavailable = true;
                    return false;
                }
                Volatile.Write(ref _keeper, socket);
                return true;
            }
            catch (SocketException)
            {
                socket.Dispose();
                _unavailable = true;
                return false;
            }
        }
    }

    private static bool ComesBackStamped(Socket socket)
    {
        var fd = (int)socket.SafeHandle.DangerousGetHandle();
        var control = new byte[128];
        Span<byte> datagram = stackalloc byte[1];
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            socket.SendTo(datagram, socket.LocalEndPoint!);
            if (!socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)) continue;
            var (received, controlLength) = SocketCalls.Receive(fd, datagram, control, MsgDontWait);
            if (received < 0 && Marshal.GetLastPInvokeError() != 0) continue;
            if (ControlMessages.ReceiveStampNs(control.AsSpan(0, Math.Min(controlLength, control.Length))) is not null) return true;
        }
        return false;
    }
}
