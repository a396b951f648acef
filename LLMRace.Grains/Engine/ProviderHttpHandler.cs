namespace LLMRace.Grains.Engine;

/// <summary>The sockets every provider stream is sent on: the Api's provider client, and the bench's generator alone.</summary>
public static class ProviderHttpHandler
{
    public static SocketsHttpHandler Create(bool kernelStamps) => new()
    {
        // Sockets of its own, with the kernel's receive stamps on: every chunk timed when it arrived, not when a busy
        // thread got to it (docs/PERFORMANCE.md). Elsewhere than Linux the callback connects plainly.
        ConnectCallback = kernelStamps ? Timing.StampedSocketStream.ConnectAsync : null,
        // A redirect would carry the connection's key (custom headers such as x-api-key survive one) to another address:
        // a 3xx is the answer, and the error tells the user where the server points.
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 1024,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    };
}
