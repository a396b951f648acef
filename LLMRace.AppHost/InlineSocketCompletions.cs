namespace LLMRace.AppHost;

/// <summary>
/// .NET's switch that runs socket completions on the socket engine's own thread instead of queueing them to the thread
/// pool. On for a lone Api on SQLite: a chunk read off a provider's socket is timed where it lands (bench: ITL error p99
/// 0.8 → 0.2 ms at 1 stream). Off wherever the Api talks to PostgreSQL, Redis or other silos: code continued on that
/// thread that blocks (Npgsql reads a row larger than its buffer synchronously) stalls every socket of the process until
/// the read times out, which is how three silos collapsed (docs/SCALING.md).
/// </summary>
public static class InlineSocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
}
