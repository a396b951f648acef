using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Storage;

namespace LLMRace.Tests.Integration.Stores;

/// <summary>
/// What every engine of the store guarantees, written once and run against each (SQLite and PostgreSQL, each in a
/// class of its own): the schema, the gap-free and all-or-nothing event log, and every store's reads and writes.
/// </summary>
public abstract class StoreContract
{
    protected abstract Database Db { get; }

    private static readonly DateTime T0 = new(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc);

    private EventStore Events => new(Db);
    private RunStore Runs => new(Db);
    private GarageStore Garage => new(Db);
    private SuiteStore Suites => new(Db);

    private static RunEvent Event(string run, long seq, string? item = null, string type = EventTypes.ItemDelta) =>
        RunEventFactory.Create(run, seq, T0.AddMilliseconds(seq), type, item, new { n = seq, text = $"tök {seq} \"quoted\"" });

    [Fact]
    public async Task Migrating_again_changes_nothing_and_keeps_the_data()
    {
        await new MetaStore(Db).SetAsync("probe", "kept");
        await Db.InitializeAsync();
        Assert.Equal("kept", await new MetaStore(Db).GetAsync("probe"));
        await new MetaStore(Db).SetAsync("probe", "replaced");
        Assert.Equal("replaced", await new MetaStore(Db).GetAsync("probe"));
    }

    [Fact]
    public async Task Events_appended_in_batches_read_back_exactly_in_seq_order_and_in_pages()
    {
        var run = Ids.New("run");
        var written = Enumerable.Range(1, 1_234).Select(i => Event(run, i, i % 2 == 0 ? "item_a" : "item_b")).ToList();
        foreach (var batch in written.Chunk(100)) await Events.AppendAsync(batch);

        var all = await Events.ReadAllAsync(run);
        Assert.Equal(written, all);
        Assert.Equal(written.Skip(1_000).Take(10), await Events.ReadAsync(run, 1_000, 10));
        Assert.Equal(1_234, await Events.LastSeqAsync(run));
        Assert.Equal(written.Where(e => e.ItemId == "item_a"), await Events.ReadItemAsync(run, "item_a"));
        Assert.Equal(0, await Events.LastSeqAsync(Ids.New("run")));
    }

    [Fact]
    public async Task A_batch_holding_a_seq_already_stored_is_refused_whole()
    {
        var run = Ids.New("run");
        await Events.AppendAsync([Event(run, 1), Event(run, 2)]);

        await Assert.ThrowsAnyAsync<Exception>(() => Events.AppendAsync([Event(run, 3), Event(run, 2), Event(run, 4)]));

        Assert.Equal([1L, 2L], (await Events.ReadAllAsync(run)).Select(e => e.Seq));
    }

    [Fact]
    public async Task Appends_of_many_runs_at_once_each_succeed_or_fail_alone_in_small_batches_and_bulk()
    {
        // Many runs appending at the same moment, as a busy silo's sinks do: an engine may write them together, but each
        // run's batch must still be all-or-none and one run's refusal must not touch the others'.
        var refused = Ids.New("run");
        await Events.AppendAsync([Event(refused, 2)]);
        var runs = Enumerable.Range(0, 24).Select(_ => Ids.New("run")).ToArray();
        var size = (int i) => i % 3 == 0 ? 600 : 1 + i;
        RunEvent[] Batch(string run, int count) =>
            [.. Enumerable.Range(1, count).Select(seq => Event(run, seq, item: seq % 2 == 0 ? $"item_{seq % 7}" : null))];

        var appends = runs.Select((run, i) => Events.AppendAsync(Batch(run, size(i)))).ToList();
        var small = Events.AppendAsync(Batch(refused, 3));
        var bulk = Events.AppendAsync([.. Batch(refused, 700).Skip(1)]);
        await Task.WhenAll(appends);

        await Assert.ThrowsAnyAsync<Exception>(() => small);
        await Assert.ThrowsAnyAsync<Exception>(() => bulk);
        Assert.Equal([2L], (await Events.ReadAllAsync(refused)).Select(e => e.Seq));
        for (var i = 0; i < runs.Length; i++)
        {
            var read = await Events.ReadAllAsync(runs[i]);
            Assert.Equal(Enumerable.Range(1, size(i)).Select(n => (long)n), read.Select(e => e.Seq));
            Assert.Equal(Batch(runs[i], size(i)).Select(e => (e.Ts, e.Type, e.ItemId, e.Json)), read.Select(e => (e.Ts, e.Type, e.ItemId, e.Json)));
        }
    }

    [Fact]
    public async Task Of_several_claims_of_one_key_at_once_exactly_one_wins_and_a_deleted_claim_can_be_made_again()
    {
        var meta = new MetaStore(Db);
        var key = Ids.New("claim");
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => meta.TryClaimAsync(key, $"silo {i}")));

        Assert.Single(claims, won => won);
        Assert.Equal($"silo {Array.IndexOf(claims, true)}", await meta.GetAsync(key));
        await meta.DeleteAsync(key);
        Assert.True(await meta.TryClaimAsync(key, "again"));
    }

    [Fact]
    public async Task Connections_and_cars_round_trip_every_field_and_a_dangling_car_is_a_foreign_key_refusal()
    {
        var connection = new ConnectionRow
        {
            Id = Ids.New("conn"), Name = "Ünïcode ⚡", Type = "OPENAI_COMPAT", BaseUrl = "http://127.0.0.1:1234/v1", ApiKeyCipher = [0, 1, 255],
            ApiKeyHint = "…abcd", BaseUrlCredentialsCipher = null, ApiKeyEnvVar = "MY_KEY", TimeoutS = 12.5, HeadersTimeoutS = null,
            TotalTimeoutS = 600, MaxRetries = 2, MaxConcurrency = 8, Managed = true, CreatedAt = "2026-12-02T10:00:00.000Z",
            UpdatedAt = "2026-12-02T10:00:00.000Z",
        };
        await Garage.InsertConnectionAsync(connection);
        var car = new CarRow { Id = Ids.New("car"), Name = "Comet", ConnectionId = connection.Id, Model = "m", ParamsJson = "{\"seed\":1}",
            CreatedAt = connection.CreatedAt, UpdatedAt = connection.UpdatedAt };
        await Garage.InsertCarAsync(car);

        var read = await Garage.GetConnectionAsync(connection.Id);
        Assert.Equivalent(connection, read, strict: true);
        Assert.Equivalent(car, await Garage.GetCarAsync(car.Id), strict: true);
        Assert.Equal(1, await Garage.CountCarsOfConnectionAsync(connection.Id));
        connection.Managed = false;
        connection.HeadersTimeoutS = 3;
        Assert.True(await Garage.UpdateConnectionAsync(connection));
        Assert.Equivalent(connection, await Garage.GetConnectionAsync(connection.Id), strict: true);

        var dangling = new CarRow { Id = Ids.New("car"), Name = "Ghost", ConnectionId = "conn_missing", Model = "m", CreatedAt = "x",
            UpdatedAt = "x" };
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => Garage.InsertCarAsync(dangling));
        Assert.True(Db.IsForeignKeyViolation(refused), refused.GetType().Name + ": " + refused.Message);
        Assert.False(Db.IsForeignKeyViolation(new InvalidOperationException()));
    }

    [Fact]
    public async Task A_suite_saved_again_replaces_its_tests_and_deleting_it_takes_them_along()
    {
        var suite = new SuiteRow { Id = Ids.New("suite"), Name = "S", Category = "c", Description = "d", SourceJson = "{}",
            CreatedAt = "2026-12-02T10:00:00.000Z", UpdatedAt = "2026-12-02T10:00:00.000Z" };
        TestRow Test(int i) => new() { Id = $"{suite.Id}_t{i}", SuiteId = suite.Id, OrderIndex = i, Name = $"t{i}", UserPrompt = "p",
            MaxToolTurns = i == 1 ? 3 : null };
        await Suites.SaveAsync(suite, [Test(1), Test(2), Test(3)]);
        suite.Name = "S2";
        await Suites.SaveAsync(suite, [Test(2), Test(4)]);

        Assert.Equal("S2", (await Suites.GetAsync(suite.Id))!.Name);
        Assert.Equal([2, 4], (await Suites.GetTestsAsync(suite.Id)).Select(t => t.OrderIndex));
        Assert.Equal(2, (await Suites.ListAsync()).Single(s => s.Suite.Id == suite.Id).TestCount);
        Assert.True(await Suites.DeleteAsync(suite.Id));
        Assert.Empty(await Suites.GetTestsAsync(suite.Id));
    }

    [Fact]
    public async Task A_run_s_lifecycle_history_summary_baseline_resume_and_delete()
    {
        var suiteId = Ids.New("suite");
        var (run, items) = NewRun(suiteId, ["car_a", "car_b"], 4);
        await Runs.CreateAsync(run, items);
        await Runs.MarkStartedAsync(run.Id, "2026-12-02T10:00:01.000Z");
        await Runs.MarkItemStartedAsync(items[0].Id, "2026-12-02T10:00:01.000Z");
        Complete(items[0], ItemStatus.Passed, 40);
        Complete(items[1], ItemStatus.Failed, 20);
        Complete(items[2], ItemStatus.Error, null);
        foreach (var item in items.Take(3)) await Runs.CompleteItemAsync(item);
        await Events.AppendAsync([Event(run.Id, 1, type: EventTypes.RunStarted)]);

        Assert.Equal(3, (await Runs.GetAsync(run.Id))!.ItemsDone);
        var summary = (await Runs.SummariesAsync([run.Id]))[run.Id];
        Assert.Equal(["Car car_a", "Car car_b"], summary.Cars.Order());
        Assert.Equal((1, 3, 30.0), (summary.Passed, summary.Finished, summary.TtftP50Ms));
        Assert.Equal([run.Id], (await Runs.ListAsync(new RunFilter(CarId: "car_b"), 10, 0)).Runs.Select(r => r.Id));
        var (page, total) = await Runs.ListItemsAsync(run.Id, new ItemFilter(CarId: "car_a"), 1, 1);
        Assert.Equal((4, items[1].Id), (total, page.Single().Id));
        Assert.Contains(run.Id, (await Runs.ListUnfinishedAsync()).Select(r => r.Id));

        await Runs.MarkFinishedAsync(run.Id, RunStatus.Cancelled, "stopped", "2026-12-02T10:00:02.000Z");
        Assert.Equal(ItemStatus.Cancelled, (await Runs.GetItemAsync(run.Id, items[3].Id))!.Status);
        Assert.DoesNotContain(run.Id, (await Runs.ListUnfinishedAsync()).Select(r => r.Id));
        Assert.Equal(5, await Runs.PrepareResumeAsync(run.Id));
        Assert.Equal((RunStatus.Queued, 3), ((await Runs.GetAsync(run.Id))!.Status, (await Runs.GetAsync(run.Id))!.ItemsDone));

        var (second, secondItems) = NewRun(suiteId, ["car_a"], 1);
        await Runs.CreateAsync(second, secondItems);
        await Runs.MarkBaselineAsync(run.Id, suiteId);
        await Runs.MarkBaselineAsync(second.Id, suiteId);
        Assert.Equal(second.Id, (await Runs.GetBaselineAsync(suiteId))!.Id);
        Assert.False((await Runs.GetAsync(run.Id))!.IsBaseline);
        await Runs.SetJudgingAsync(second.Id, true);
        Assert.Contains(second.Id, (await Runs.ListUnfinishedAsync()).Select(r => r.Id));

        Assert.True(await Runs.DeleteAsync(run.Id));
        Assert.Null(await Runs.GetAsync(run.Id));
        Assert.Empty(await Runs.GetItemsAsync(run.Id));
        Assert.Empty(await Events.ReadAllAsync(run.Id));
        Assert.Equal(0, (await Runs.ListAsync(new RunFilter(SuiteId: suiteId, CarId: "car_b"), 10, 0)).Total);
    }

    [Fact]
    public async Task A_finished_run_s_summary_is_kept_at_its_end_and_never_outlives_a_change_to_its_items()
    {
        var (run, items) = NewRun(Ids.New("suite"), ["car_a"], 4);
        await Runs.CreateAsync(run, items);
        Complete(items[0], ItemStatus.Passed, 40);
        Complete(items[1], ItemStatus.Failed, 20);
        foreach (var item in items.Take(2)) await Runs.CompleteItemAsync(item);
        async Task<string?> KeptAsync()
        {
            await using var c = await Db.OpenAsync();
            return await Dapper.SqlMapper.ExecuteScalarAsync<string?>(c, "SELECT summary_json FROM runs WHERE id = @id;", new { id = run.Id });
        }
        async Task<(int, int, double?)> ShownAsync() =>
            (await Runs.SummariesAsync([run.Id]))[run.Id] is var s ? (s.Passed, s.Finished, s.TtftP50Ms) : default;

        Assert.Null(await KeptAsync());
        Assert.Equal((1, 2, 30.0), await ShownAsync());
        await Runs.MarkFinishedAsync(run.Id, RunStatus.Cancelled, null, "2026-12-02T10:00:02.000Z");
        Assert.NotNull(await KeptAsync());
        Assert.Equal((1, 2, 30.0), await ShownAsync());

        // An item that finishes after the run's end clears what was kept; the summary shown is computed anew.
        Complete(items[2], ItemStatus.Passed, 90);
        await Runs.CompleteItemAsync(items[2]);
        Assert.Null(await KeptAsync());
        Assert.Equal((2, 3, 40.0), await ShownAsync());

        await Runs.MarkFinishedAsync(run.Id, RunStatus.Cancelled, null, "2026-12-02T10:00:03.000Z");
        Assert.NotNull(await KeptAsync());
        await Runs.PrepareResumeAsync(run.Id);
        Assert.Null(await KeptAsync());
        Assert.Equal((2, 3, 40.0), await ShownAsync());
    }

    [Fact]
    public async Task A_run_s_snapshot_is_read_only_with_it_and_is_deleted_with_the_run()
    {
        var (run, items) = NewRun(Ids.New("suite"), ["car_a"], 1);
        run.SnapshotJson = "{\"suite\":{\"name\":\"big\",\"tests\":[]},\"cars\":[]}";
        await Runs.CreateAsync(run, items);

        Assert.Equal(run.SnapshotJson, (await Runs.GetWithSnapshotAsync(run.Id))!.SnapshotJson);
        Assert.Equal("", (await Runs.GetAsync(run.Id))!.SnapshotJson);
        Assert.Equal("", (await Runs.ListAsync(new RunFilter(), 10, 0)).Runs.Single(r => r.Id == run.Id).SnapshotJson);
        Assert.Null(await Runs.GetWithSnapshotAsync("run_missing"));

        Assert.True(await Runs.DeleteAsync(run.Id));
        await using var c = await Db.OpenAsync();
        Assert.Equal(0, await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT COUNT(*) FROM run_snapshots WHERE run_id = @id;",
            new { id = run.Id }));
    }

    [Fact]
    public async Task A_finished_run_whose_log_lacks_its_end_is_found_until_the_end_is_written()
    {
        var (run, items) = NewRun(Ids.New("suite"), ["car_a"], 1);
        await Runs.CreateAsync(run, items);
        await Events.AppendAsync([Event(run.Id, 1, type: EventTypes.RunStarted), Event(run.Id, 2, items[0].Id, EventTypes.ItemCompleted)]);
        await Runs.MarkFinishedAsync(run.Id, RunStatus.Completed, null, "2026-12-02T10:00:02.000Z");

        Assert.Contains(run.Id, (await Runs.ListFinishedWithOpenLogAsync()).Select(r => r.Id));
        await Events.AppendAsync([Event(run.Id, 3, type: EventTypes.RunCompleted)]);
        Assert.DoesNotContain(run.Id, (await Runs.ListFinishedWithOpenLogAsync()).Select(r => r.Id));
    }

    [Fact]
    public async Task History_orders_newest_first_by_the_same_text_order_on_every_engine()
    {
        var suiteId = Ids.New("suite");
        var created = new[] { "2026-12-02T10:00:00.900Z", "2026-12-02T10:00:00.100Z", "2026-12-02T09:59:59.999Z" };
        var ids = new List<string>();
        foreach (var at in created)
        {
            var (run, items) = NewRun(suiteId, ["car_a"], 1);
            run.CreatedAt = at;
            await Runs.CreateAsync(run, items);
            ids.Add(run.Id);
        }

        var (page, total) = await Runs.ListAsync(new RunFilter(SuiteId: suiteId, From: "2026-12-02T10:00:00.000Z"), 1, 1);
        Assert.Equal(2, total);
        Assert.Equal([ids[1]], page.Select(r => r.Id));
    }

    private static (RunRow Run, List<RunItemRow> Items) NewRun(string suiteId, string[] cars, int itemsPerCar)
    {
        var run = new RunRow { Id = Ids.New("run"), SuiteId = suiteId, SuiteName = "S", Status = RunStatus.Queued, CarIds = string.Join(',',
            cars), ItemsTotal = cars.Length * itemsPerCar, CreatedAt = "2026-12-02T10:00:00.000Z" };
        var items = cars.SelectMany(car => Enumerable.Range(0, itemsPerCar).Select(i => (car, i))).Select((x, ordinal) => new RunItemRow
        {
            Id = Ids.New("item"), RunId = run.Id, Ordinal = ordinal, TestId = $"t{x.i}", TestName = $"t{x.i}", CarId = x.car,
            CarName = $"Car {x.car}", Status = ItemStatus.Pending,
        }).ToList();
        return (run, items);
    }

    private static void Complete(RunItemRow item, string status, double? ttft)
    {
        item.Status = status;
        item.Output = "out";
        item.MetricsJson = ttft is null ? null : $"{{\"ttft_ms\":{ttft},\"e2e_ms\":100}}";
        item.FinishedAt = "2026-12-02T10:00:02.000Z";
    }
}

public sealed class SqliteStoreTests : StoreContract, IAsyncLifetime
{
    private TempSqliteDatabase _temp = null!;

    protected override Database Db => _temp.Db;

    public async Task InitializeAsync() => _temp = await TempSqliteDatabase.CreateAsync();

    public async Task DisposeAsync() => await _temp.DisposeAsync();
}

/// <summary>One PostgreSQL server for the store's tests, with a database of their own.</summary>
public sealed class PostgresStoreFixture : IAsyncLifetime
{
    public LocalPostgres Server { get; private set; } = null!;
    public PostgresDatabase Db { get; private set; } = null!;
    private Npgsql.NpgsqlDataSource _source = null!;

    public async Task InitializeAsync()
    {
        Server = await LocalPostgres.StartAsync(TestPorts.Next());
        _source = PostgresDatabase.CreateDataSource(await Server.CreateDatabaseAsync("store_contract"));
        Db = new PostgresDatabase(_source, TimeProvider.System);
        await Db.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await Server.DisposeAsync();
    }
}

public sealed class PostgresStoreTests(PostgresStoreFixture fixture) : StoreContract, IClassFixture<PostgresStoreFixture>
{
    protected override Database Db => fixture.Db;

    [Fact]
    public async Task Every_connection_has_llmrace_s_session_settings()
    {
        var seen = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var c = await Db.OpenAsync();
            return await Dapper.SqlMapper.ExecuteScalarAsync<string>(c, "SHOW synchronous_commit;");
        }));
        Assert.All(seen, value => Assert.Equal("off", value));
    }
}
