using System.Net;
using System.Net.Sockets;

namespace LLMRace.Tests.Integration;

/// <summary>
/// Ports for listeners that cannot take port 0 (an Orleans silo, the Simulator under the AppHost). They are handed out
/// once each from below the system's ephemeral range, so no outgoing connection can take one as its source port between
/// this pick and the listener's bind, and no two apps of this test run get the same one.
/// </summary>
public static class TestPorts
{
    private static readonly int EphemeralStart = ReadEphemeralStart();
    private static int _next = 20_000 + Random.Shared.Next(0, 4_000);

    public static int Next()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref _next);
            if (port >= EphemeralStart) throw new InvalidOperationException("no port left below the ephemeral range");
            if (IsFree(port)) return port;
        }
    }

    /// <summary>Skips a port some other program on this machine listens on.</summary>
    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int ReadEphemeralStart()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(range) && int.TryParse(File.ReadAllText(range).Split('\t', ' ')[0], out var start) ? start : 32_768;
    }
}
