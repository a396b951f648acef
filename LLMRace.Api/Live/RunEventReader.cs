using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;

namespace LLMRace.Api.Live;

/// <summary>
/// Every event of a run after a given seq, exactly once and in order: replayed from the event log, then
/// live from the run's stream, ending with the run's terminal event. It subscribes before it reads the
/// log; since events are persisted before they are published, whatever the log read missed arrives live.
/// A gap in the live feed (or a quiet spell) is filled from the log, so a lost publish loses nothing.
/// </summary>
public sealed class RunEventReader(RunFeed feed, EventStore events, RunStore runs)
{
    private const int Page = 2000;
    private static readonly TimeSpan CatchUpInterval = TimeSpan.FromSeconds(2);

    public async IAsyncEnumerable<RunEvent> ReadAsync(string runId, long afterSeq, [EnumeratorCancellation] CancellationToken ct)
    {
        var live = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true });
        await using var subscription = await feed.SubscribeAsync(runId, live.Writer, ct);
        var last = afterSeq;

        while (true)
        {
            var page = await events.ReadAsync(runId, last, Page, ct);
            foreach (var e in page)
            {
                yield return e;
                last = e.Seq;
                if (e.IsTerminal && !await MoreToComeAsync(runId, e.Seq)) yield break;
            }
            if (page.Count < Page) break;
        }

        long? quietSince = null;
        while (true)
        {
            // A timed wait only when nothing is ready: at full speed events are taken without a timer per event.
            if (!live.Reader.TryRead(out var next))
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(CatchUpInterval);
                try
                {
                    next = await live.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }

            if (next is not null && next.Seq <= last) continue;
            if (next is not null && next.Seq == last + 1)
            {
                yield return next;
                last = next.Seq;
                if (next.IsTerminal && !await MoreToComeAsync(runId, next.Seq)) yield break;
                continue;
            }

            // A gap, or a quiet spell: read what the log has beyond the last event sent, page after page while full.
            IReadOnlyList<RunEvent> caughtUp;
            var read = 0;
            do
            {
                caughtUp = await events.ReadAsync(runId, last, Page, ct);
                read += caughtUp.Count;
                foreach (var e in caughtUp)
                {
                    yield return e;
                    last = e.Seq;
                    if (e.IsTerminal && !await MoreToComeAsync(runId, e.Seq)) yield break;
                }
            }
            while (caughtUp.Count == Page);
            if (next is not null || read > 0) quietSince = null;
            else if (await runs.GetAsync(runId) is not { } run) yield break;
            // A finished run's terminal event is written after its status (the executor's last act): a quiet log then means it is
            // on its way, unless it has been missing for long (its writer failed; a restart's recovery closes the log).
            else if (RunStatus.IsFinished(run.Status) && !run.Judging
                && (quietSince ??= System.Diagnostics.Stopwatch.GetTimestamp()) is var since
                && System.Diagnostics.Stopwatch.GetElapsedTime(since) > TerminalGrace) yield break;
        }
    }

    /// <summary>How long a finished run's log may stay quiet without its terminal event before a reader gives up on it.</summary>
    private static readonly TimeSpan TerminalGrace = TimeSpan.FromSeconds(30);

    /// <summary>Whether the log goes on past <paramref name="seq"/>: it already does, or the run is racing or being judged.</summary>
    private async Task<bool> MoreToComeAsync(string runId, long seq)
    {
        if ((await events.ReadAsync(runId, seq, 1)).Count > 0) return true;
        return await runs.GetAsync(runId) is { } run && (!RunStatus.IsFinished(run.Status) || run.Judging);
    }
}
