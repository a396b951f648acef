using System.Runtime.InteropServices;

namespace LLMRace.Grains.Timing;

/// <summary>The C library's <c>struct timespec</c> on 64-bit Linux, for the clock calls made directly.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;

    public static TimeSpec FromNanoseconds(long ns) => new() { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };

    public readonly long TotalNanoseconds => Seconds * 1_000_000_000 + Nanoseconds;
}
