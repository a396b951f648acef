namespace LLMRace.Grains.Timing;

/// <summary>
/// The kernel's stamps of the socket under one response: when the request's last bytes left (its send stamp) and when
/// the read that last gave bytes to the code reading the response arrived. A reader puts a scope in <see cref="Current"/>
/// before it sends; the <see cref="StampedSocketStream"/> under the HTTP connection (and under TLS, whose decrypted record
/// is completed by that read) writes into it, since its writes and reads run within the reader's own async flow. Reading
/// is pull-based, so when the reader has a chunk the last read is the one that completed it.
/// </summary>
public sealed class SocketStamps
{
    private static readonly AsyncLocal<SocketStamps?> Scope = new();

    public static SocketStamps? Current
    {
        get => Scope.Value;
        set => Scope.Value = value;
    }

    /// <summary>The stopwatch timestamp of the last read's kernel stamp; 0 before the first stamped read.</summary>
    public long LastStamp { get; private set; }

    /// <summary>How many stamped reads there were; a chunk with the same count as the one before it came in the same read.</summary>
    public long Reads { get; private set; }

    /// <summary>Reads that returned no stamp (the socket did not give one): the response is then timed in user space.</summary>
    public long Unstamped { get; private set; }

    /// <summary>
    /// When the last bytes written so far left: the kernel's transmit stamp when the socket gives one (<see cref="SentByKernel"/>),
    /// else the moment the last send call returned; null before the first write.
    /// </summary>
    public long? SentAt { get; private set; }

    public bool SentByKernel { get; private set; }

    public void Stamped(long stopwatchTimestamp)
    {
        LastStamp = stopwatchTimestamp;
        Reads++;
    }

    public void Missed() => Unstamped++;

    public void Sent(long stopwatchTimestamp, bool byKernel)
    {
        SentAt = stopwatchTimestamp;
        SentByKernel = byKernel;
    }
}
