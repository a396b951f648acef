using System.Runtime.InteropServices;

namespace LLMRace.Grains.Timing;

/// <summary><c>recvmsg</c> on a socket's descriptor, with room for the control messages the stamps come in.</summary>
internal static unsafe class SocketCalls
{
    public static (nint Received, int ControlLength) Receive(int fd, Span<byte> buffer, byte[] controlBuffer, int flags)
    {
        fixed (byte* data = buffer)
        fixed (byte* control = controlBuffer)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlBuffer.Length };
            var received = recvmsg(fd, &message, flags);
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
