namespace LLMRace.Grains.Timing;

/// <summary>
/// The kernel's stamps of one connection, kept by its <see cref="StampedSocketStream"/> whichever async flow reads it (the
/// HTTP client reads ahead of a request in a flow of its own): the last read's receive stamp and how many reads had one,
/// and when the last bytes written left.
/// </summary>
public sealed class ConnectionStamps
{
    /// <summary>The stopwatch timestamp of the last read's kernel stamp; 0 before the first stamped read.</summary>
    public long LastStamp { get; private set; }

    /// <summary>Reads that had a stamp; a chunk with the same count as the one before it came in the same read.</summary>
    public long Reads { get; private set; }

    /// <summary>Reads that returned bytes without a stamp.</summary>
    public long Unstamped { get; private set; }

    /// <summary>
    /// When the last bytes written so far left: the kernel's transmit stamp when the socket gives one (<see cref="SentByKernel"/>),
    /// else the moment the send call that wrote them began; null before the first write.
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
