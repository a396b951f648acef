using System.Collections.Concurrent;
using System.Text.Json;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace LLMRace.Tests.Unit;

/// <summary>Seq assignment and the write-then-publish pipeline, on a real SQLite file.</summary>
public sealed class RunEventSinkTests : IAsyncLifetime
{
    private TempSqliteDatabase _temp = null!;
    private SqliteDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _temp = await TempSqliteDatabase.CreateAsync();
        _db = _temp.Db;
    }

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    private sealed class RecordingPublisher(EventStore store) : IRunEventPublisher
    {
        public ConcurrentQueue<RunEventBatch> Batches { get; } = new();
        public List<string> Violations { get; } = [];

        /// <summary>When set, the first publish waits for it: the sink is held mid-batch while events pile up.</summary>
        public TaskCompletionSource? HoldFirst { get; set; }

        public async Task PublishAsync(string runId, RunEventBatch batch)
        {
            if (Batches.IsEmpty && HoldFirst is { } hold) await hold.Task;
            // Every event published must already be in the log.
            var stored = await store.ReadAsync(runId, batch.Events[0].Seq - 1, batch.Events.Length);
            if (stored.Count != batch.Events.Length) Violations.Add($"batch {batch.Events[0].Seq} published before it was stored");
            Batches.Enqueue(batch);
        }
    }

    private (EventStore Store, RecordingPublisher Publisher, RunEventSink Sink) NewSink(string runId)
    {
        var store = new EventStore(_db);
        var publisher = new RecordingPublisher(store);
        return (store, publisher, new RunEventSink(runId, 0, store, publisher, TimeProvider.System, NullLogger.Instance));
    }

    /// <summary>Eight threads at once, each calling <paramref name="emit"/>(thread, i) for i = 0..499 in order.</summary>
    private static Task FromEightThreadsAsync(Action<int, int> emit) =>
        Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++) emit(t, i);
        })));

    [Fact]
    public async Task Events_that_pile_up_while_a_batch_is_published_go_out_together_in_batches_of_at_most_1024()
    {
        var (store, publisher, sink) = NewSink("run_pile");
        publisher.HoldFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await FromEightThreadsAsync((t, i) => sink.Emit(EventTypes.ItemDelta, $"item_{t}", new { text = $"t{t}-{i}" }));
        publisher.HoldFirst.SetResult();
        await sink.FlushAndCompleteAsync();

        var sizes = publisher.Batches.Select(b => b.Events.Length).ToList();
        Assert.Equal(4000, sizes.Sum());
        // The first batch went out alone; the 3,999 or so that waited behind it fill four batches, not thousands.
        Assert.InRange(sizes.Count, 2, 1 + (4000 + 1023) / 1024);
        Assert.All(sizes, n => Assert.True(n <= 1024));
        Assert.Equal(Enumerable.Range(1, 4000).Select(i => (long)i), (await store.ReadAsync("run_pile", 0, 10_000)).Select(e => e.Seq));
    }

    [Fact]
    public async Task A_gathering_sink_writes_an_intervals_events_as_one_batch_and_a_flush_waits_for_them_leaving_it_open()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var store = new EventStore(_db);
        var publisher = new RecordingPublisher(store);
        var sink = new RunEventSink("run_gather", 0, store, publisher, time, NullLogger.Instance, TimeSpan.FromMilliseconds(50));

        for (var i = 0; i < 30; i++) sink.Emit(EventTypes.LoadRequest, null, new { index = i });
        var flushed = sink.FlushAsync();
        // No time has passed: nothing can have been written yet.
        Assert.False(flushed.IsCompleted);
        Assert.Empty(await store.ReadAsync("run_gather", 0, 100));
        await UntilDoneAsync(flushed, time);

        Assert.Equal(30, (await store.ReadAsync("run_gather", 0, 100)).Count);
        Assert.Equal([30], publisher.Batches.Select(b => b.Events.Length));
        sink.Emit(EventTypes.LoadSecond, null, new { second = 1 });
        await UntilDoneAsync(sink.FlushAsync(), time);
        Assert.Equal(Enumerable.Range(1, 31).Select(i => (long)i), (await store.ReadAsync("run_gather", 0, 100)).Select(e => e.Seq));
        Assert.Empty(publisher.Violations);
        await sink.FlushAndCompleteAsync();
    }

    /// <summary>Lets the fake clock run, an interval at a time, until <paramref name="task"/> is done.</summary>
    private static async Task UntilDoneAsync(Task task, Microsoft.Extensions.Time.Testing.FakeTimeProvider time)
    {
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Yield();
        }
        await task;
    }

    [Fact]
    public async Task Events_from_many_threads_get_gap_free_seqs_and_are_stored_before_they_are_published()
    {
        var (store, publisher, sink) = NewSink("run_a");

        await FromEightThreadsAsync((t, i) => sink.Emit(EventTypes.ItemDelta, $"item_{t}", new { text = $"t{t}-{i}" }));
        await sink.FlushAndCompleteAsync();

        var stored = await store.ReadAsync("run_a", 0, 10_000);
        Assert.Equal(Enumerable.Range(1, 4000).Select(i => (long)i), stored.Select(e => e.Seq));
        var published = publisher.Batches.SelectMany(b => b.Events).Select(e => e.Seq).ToList();
        Assert.Equal(stored.Select(e => e.Seq), published);
        Assert.Empty(publisher.Violations);

        // Each thread's own events keep their order.
        foreach (var group in stored.GroupBy(e => e.ItemId))
        {
            var texts = group.Select(e => JsonDocument.Parse(e.Json).RootElement.GetProperty("data").GetProperty("text").GetString())
                .ToList();
            Assert.Equal(Enumerable.Range(0, 500).Select(i => $"{group.Key!.Replace("item_", "t")}-{i}"), texts);
        }
    }

    [Fact]
    public async Task Deltas_that_pile_up_share_events_and_keep_every_chunk_with_its_timestamp()
    {
        var (store, publisher, sink) = NewSink("run_e");

        await FromEightThreadsAsync((t, i) =>
        {
            sink.EmitDelta($"item_{t}", "text", $"<{t}:{i}>", t * 1000 + i + 0.25);
            if (i == 250) sink.Emit(EventTypes.ItemToolCall, $"item_{t}", new { marker = i });
        });
        await sink.FlushAndCompleteAsync();

        var stored = await store.ReadAsync("run_e", 0, 10_000);
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(e => e.Seq));
        Assert.Equal(stored.Select(e => e.Seq), publisher.Batches.SelectMany(b => b.Events).Select(e => e.Seq));
        Assert.True(stored.Count < 8 * 501, $"chunks emitted faster than they are written share events ({stored.Count} events for 4,008)");

        foreach (var group in stored.GroupBy(e => e.ItemId))
        {
            var t = int.Parse(group.Key!["item_".Length..]);
            var chunks = new List<(string Text, double TMs)>();
            var markerAfter = -1;
            foreach (var e in group)
            {
                var data = JsonDocument.Parse(e.Json).RootElement.GetProperty("data");
                if (e.Type == EventTypes.ItemToolCall) { markerAfter = chunks.Count; continue; }
                var text = data.GetProperty("text").GetString()!;
                var times = data.GetProperty("t_ms").EnumerateArray().Select(x => x.GetDouble()).ToList();
                var lengths = data.GetProperty("len").EnumerateArray().Select(x => x.GetInt32()).ToList();
                Assert.Equal(times.Count, lengths.Count);
                Assert.Equal(text.Length, lengths.Sum());
                var offset = 0;
                for (var i = 0; i < times.Count; offset += lengths[i], i++) chunks.Add((text.Substring(offset, lengths[i]), times[i]));
            }
            Assert.Equal(Enumerable.Range(0, 500).Select(i => ($"<{t}:{i}>", t * 1000 + i + 0.25)), chunks);
            Assert.Equal(251, markerAfter);
        }
    }

    [Fact]
    public async Task A_sink_continues_after_the_last_stored_seq()
    {
        var store = new EventStore(_db);
        var first = new RunEventSink("run_b", 0, store, new RecordingPublisher(store), TimeProvider.System, NullLogger.Instance);
        first.Emit(EventTypes.RunStarted, null, null);
        first.Emit(EventTypes.ItemStarted, "i", null);
        await first.FlushAndCompleteAsync();

        var second = new RunEventSink("run_b", await store.LastSeqAsync("run_b"), store, new RecordingPublisher(store), TimeProvider.System,
            NullLogger.Instance);
        var e = second.Emit(EventTypes.RunCompleted, null, new { status = "completed" });
        await second.FlushAndCompleteAsync();

        Assert.Equal(3, e.Seq);
        var json = JsonDocument.Parse(e.Json).RootElement;
        Assert.Equal("run_b", json.GetProperty("run_id").GetString());
        Assert.Equal(3, json.GetProperty("seq").GetInt64());
        Assert.Equal("run.completed", json.GetProperty("type").GetString());
        Assert.Equal("completed", json.GetProperty("data").GetProperty("status").GetString());
        Assert.EndsWith("Z", json.GetProperty("ts").GetString());
    }

    [Fact]
    public void Event_json_keeps_quotes_and_non_ascii_text_readable()
    {
        var e = RunEventFactory.CreateDelta("run_f", 1, DateTime.UtcNow, "item_1", "text", "Grüße, \"日本\" <b>", [1.5], [14]);

        Assert.Contains("\"text\":\"Grüße, \\\"日本\\\" <b>\"", e.Json);
        Assert.Equal("Grüße, \"日本\" <b>", JsonDocument.Parse(e.Json).RootElement.GetProperty("data").GetProperty("text").GetString());
    }

    [Fact]
    public void A_large_batch_is_published_in_slices_small_enough_for_the_stream_in_order()
    {
        var text = new string('x', 30_000);
        var batch = Enumerable.Range(1, 20).Select(i => RunEventFactory.Create("run_g", i, DateTime.UtcNow, EventTypes.ItemDelta, "i",
            new { text })).ToList();
        batch.Add(RunEventFactory.Create("run_g", 21, DateTime.UtcNow, EventTypes.ItemDelta, "i", new { text = new string('y', 250_000) }));

        var slices = RunEventSink.PublishSlices(batch).ToList();

        Assert.Equal(Enumerable.Range(1, 21).Select(i => (long)i), slices.SelectMany(s => s).Select(e => e.Seq));
        Assert.True(slices.Count >= 4, $"{slices.Count} slices");
        Assert.All(slices.SkipLast(1), s => Assert.True(s.Sum(e => e.Json.Length) <= RunEventSink.MaxPublishChars));
        Assert.Single(slices[^1]); // an event larger than the limit travels alone (readers take it from the log if the stream refuses it)
    }

    [Fact]
    public async Task A_publish_failure_loses_nothing_from_the_log()
    {
        var store = new EventStore(_db);
        var sink = new RunEventSink("run_c", 0, store, new FailingPublisher(), TimeProvider.System, NullLogger.Instance);
        for (var i = 0; i < 10; i++) sink.Emit(EventTypes.ItemDelta, "i", new { i });
        await sink.FlushAndCompleteAsync();

        Assert.Equal(10, (await store.ReadAsync("run_c", 0)).Count);
    }

    private sealed class FailingPublisher : IRunEventPublisher
    {
        public Task PublishAsync(string runId, RunEventBatch batch) => throw new InvalidOperationException("stream down");
    }

    [Fact]
    public async Task Runs_left_running_are_marked_interrupted_and_their_log_closed_at_the_time_of_recovery()
    {
        var recoveredAt = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(recoveredAt);
        var runs = new RunStore(_db);
        var store = new EventStore(_db);
        await runs.CreateAsync(
            new RunRow { Id = "run_d", SuiteId = "s", SuiteName = "S", Status = RunStatus.Running, CarIds = "c", ItemsTotal = 2,
                CreatedAt = "2026-03-04T05:00:00.000Z" },
            [
                new RunItemRow { Id = "item_1", RunId = "run_d", Ordinal = 0, TestId = "t", TestName = "T", CarId = "c", CarName = "C",
                    Status = ItemStatus.Running },
                new RunItemRow { Id = "item_2", RunId = "run_d", Ordinal = 1, TestId = "t", TestName = "T", CarId = "c", CarName = "C",
                    Status = ItemStatus.Pending },
            ]);
        await store.AppendAsync([RunEventFactory.Create("run_d", 1, recoveredAt.UtcDateTime.AddMinutes(-6), EventTypes.RunStarted, null,
            null)]);

        var count = await new RunRecovery(runs, store, time, NullLogger<RunRecovery>.Instance).MarkInterruptedAsync();

        Assert.Equal(1, count);
        Assert.Equal(RunStatus.Interrupted, (await runs.GetAsync("run_d"))!.Status);
        Assert.All(await runs.GetItemsAsync("run_d"), i => Assert.Equal(ItemStatus.Cancelled, i.Status));
        var log = await store.ReadAsync("run_d", 0);
        Assert.Equal([1L, 2L], log.Select(e => e.Seq));
        Assert.True(log[^1].IsTerminal);
        Assert.Contains("interrupted", log[^1].Json);
        Assert.Equal("2026-03-04T05:06:07.890Z", (await runs.GetAsync("run_d"))!.FinishedAt);
        Assert.Contains("\"ts\":\"2026-03-04T05:06:07.890Z\"", log[^1].Json);
    }
}
