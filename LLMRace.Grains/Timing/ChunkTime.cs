namespace LLMRace.Grains.Timing;

/// <summary>
/// When a part of a provider's stream arrived, on the stopwatch's clock: the kernel's receive stamp of the read that
/// completed it (<see cref="Kernel"/>), or the moment the reader had it (user space). <see cref="Coalesced"/>: the kernel
/// stamped its bytes as one with the part before it (they were read together, or from one socket buffer), so the gap
/// between them was not observed (it reads as zero), and the part before carries the stamp of bytes that came after it.
/// </summary>
public readonly record struct ChunkTime(long Timestamp, bool Kernel, bool Coalesced)
{
    public static ChunkTime User(long timestamp) => new(timestamp, false, false);
}

public static class TimingSources
{
    public const string Kernel = "kernel";
    public const string User = "user";
}
