namespace LLMRace.Grains.Timing;

/// <summary>
/// The kernel's stamps of the connection under one response: when the request's last bytes left and when the read that
/// last gave bytes to the code reading the response arrived. A reader puts a scope in <see cref="Current"/> before it
/// sends; the <see cref="StampedSocketStream"/> under the HTTP connection (under TLS too) binds the scope to its
/// connection when it writes the request, which it does within the reader's own async flow. Reading is pull-based, so when
/// the reader has a chunk the connection's last read is the one that completed it. One request at a time per connection
/// (HTTP/1.1, what the provider client speaks) makes the connection's stamps the response's.
/// </summary>
public sealed class SocketStamps
{
    private static readonly AsyncLocal<SocketStamps?> Scope = new();
    private ConnectionStamps? _connection;
    private long _unstampedBefore;

    public static SocketStamps? Current
    {
        get => Scope.Value;
        set => Scope.Value = value;
    }

    /// <summary>Follows <paramref name="connection"/> from now on (a retried request may go on another).</summary>
    public void Bind(ConnectionStamps connection)
    {
        if (ReferenceEquals(_connection, connection)) return;
        _connection = connection;
        _unstampedBefore = connection.Unstamped;
    }

    /// <summary>The stopwatch timestamp of the last read's kernel stamp; 0 before the first stamped read.</summary>
    public long LastStamp => _connection?.LastStamp ?? 0;

    /// <summary>How many stamped reads there were; a chunk with the same count as the one before it came in the same read.</summary>
    public long Reads => _connection?.Reads ?? 0;

    /// <summary>Reads since this scope followed the connection that returned no stamp: the response is then timed in user space.</summary>
    public long Unstamped => _connection is null ? 0 : _connection.Unstamped - _unstampedBefore;

    /// <summary>When the request's last bytes left (see <see cref="ConnectionStamps.SentAt"/>); null where the connection cannot tell.</summary>
    public long? SentAt => _connection?.SentAt;

    public bool SentByKernel => _connection?.SentByKernel ?? false;
}
