namespace LLMRace.Grains.Timing;

/// <summary>
/// When a part of a provider's stream arrived, on the stopwatch's clock: the kernel's receive stamp of the read that
/// completed it (<see cref="Kernel"/>), or the moment the reader had it (user space). <see cref="Coalesced"/>: it came in
/// the same read as the part before it, so the gap between them was not observed (it reads as zero).
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
