using System.Diagnostics;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Storage;

namespace LLMRace.Bench;

/// <summary>
/// The event log's write capacity on one engine: N streams (runs) each appending batches of a fixed size, one after the
/// other as a run's sink does, as fast as the store takes them, for a few seconds. Events are the size of a streamed
/// token's delta. Measured on the store alone (no Api), so the figure is the store's.
/// </summary>
public static class StoreScenario
{
    public sealed record Result(int Streams, int Batch, double EventsPerSecond, List<double> AppendMs);

    public static async Task<Result> RunAsync(Database db, int streams, int batch, TimeSpan duration)
    {
        var events = new EventStore(db);
        var latencies = new List<double>[streams];
        var counts = new long[streams];
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, streams).Select(s => Task.Run(async () =>
        {
            var run = Ids.New("run");
            var item = Ids.New("item");
            var seq = 0L;
            var mine = latencies[s] = [];
            while (Stopwatch.GetTimestamp() < until)
            {
                var now = DateTime.UtcNow;
                var slice = new RunEvent[batch];
                for (var i = 0; i < batch; i++)
                {
                    seq++;
                    slice[i] = RunEventFactory.CreateDelta(run, seq, now, item, "text", " token", [seq * 10.0], [6]);
                }
                var t = Stopwatch.GetTimestamp();
                await events.AppendAsync(slice);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                counts[s] += batch;
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new Result(streams, batch, counts.Sum() / elapsed, [.. latencies.SelectMany(l => l)]);
    }
}
