using System.Diagnostics;

namespace LLMRace.Bench;

/// <summary>
/// Keeps every core busy while it lives: one spinning shell per core at normal priority, as a user's other work would (a
/// local model server, a build). Bounded: each spinner ends by itself after <c>limit</c>, should the benchmark die first.
/// </summary>
public sealed class CpuHog : IDisposable
{
    private readonly List<Process> _spinners;

    private CpuHog(List<Process> spinners) => _spinners = spinners;

    public static CpuHog Start(TimeSpan limit) => new(Enumerable.Range(0, Environment.ProcessorCount)
        .Select(_ => Process.Start(new ProcessStartInfo("timeout", $"{(int)limit.TotalSeconds} sh -c 'while :; do :; done'")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!).ToList());

    public void Dispose()
    {
        foreach (var spinner in _spinners)
        {
            try { spinner.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            spinner.Dispose();
        }
    }
}
