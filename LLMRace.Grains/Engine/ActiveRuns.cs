using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>The runs racing in this process. When the process stops they end as interrupted, their logs closed.</summary>
public sealed class ActiveRuns(ILogger<ActiveRuns> logger) : IHostedService
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, RunExecutor> _runs = new();

    public void Add(string runId, RunExecutor executor)
    {
        _runs[runId] = executor;
        executor.Completion.ContinueWith(_ => _runs.TryRemove(runId, out RunExecutor? _), TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken ct)
    {
        var running = _runs.Values.ToList();
        if (running.Count == 0) return;
        logger.LogWarning("Stopping: interrupting {Count} running run(s)", running.Count);
        foreach (var run in running) run.Interrupt();
        try
        {
            await Task.WhenAll(running.Select(r => r.Completion)).WaitAsync(StopLimit, ct);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            logger.LogWarning("Runs still closing after {Limit}; the next start marks them interrupted", StopLimit);
        }
    }
}
