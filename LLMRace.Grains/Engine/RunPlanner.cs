using System.Text.Json.Nodes;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Turns a request into a run: checks the suite and cars exist, snapshots them as they are now (the run keeps them
/// whatever is edited later), and lays out the items in the original's order: by test, then car, then repeat.
/// </summary>
public sealed class RunPlanner(SuiteStore suites, GarageStore garage, TimeProvider time)
{
    public const int MaxItems = 100_000;

    public async Task<(RunRow Run, List<RunItemRow> Items)?> PlanAsync(string runId, RunPlanRequest request, Dictionary<string,
        List<string>> errors)
    {
        void Add(string field, string message) => (errors.TryGetValue(field, out var list) ? list : errors[field] = []).Add(message);
        int Range(string field, int? value, int max)
        {
            if (value is null) return 1;
            if (value < 1 || value > max) Add(field, $"must be between 1 and {max}, got {value}");
            return value.Value;
        }
        var settings = new RunSettings(
            Range("settings.concurrency", request.Concurrency, RunSettings.MaxConcurrency),
            Range("settings.repeats", request.Repeats, RunSettings.MaxRepeats));

        var suite = await SnapshotOfSuiteAsync(request.SuiteId, Add, "racing it");

        var cars = new List<CarSnapshot>();
        if (request.CarIds is null || request.CarIds.Length == 0) Add("car_ids", "pick at least one car");
        else
        {
            foreach (var dup in request.CarIds.GroupBy(c => c).Where(g => g.Count() > 1)) Add("car_ids",
                $"car '{dup.Key}' is listed {dup.Count()} times");
            foreach (var carId in request.CarIds.Distinct())
            {
                if (await garage.GetCarAsync(carId ?? "") is not { } row) Add("car_ids", $"car '{carId}' does not exist");
                else if (await SnapshotOfCarAsync(row.Id) is { } car) cars.Add(car);
                else Add("car_ids", $"car '{row.Name}' has no connection");
            }
        }
        var itemCount = (long)(suite?.Tests.Count ?? 0) * cars.Count * settings.Repeats;
        if (itemCount > MaxItems) Add("settings.repeats", $"this run would have {itemCount} items; the limit is {MaxItems}");
        if (errors.Count > 0) return null;

        var snapshot = new RunSnapshot(suite!, cars, settings);
        var run = new RunRow
        {
            Id = runId, SuiteId = snapshot.Suite.Id, SuiteName = snapshot.Suite.Name, Status = RunStatus.Queued,
            SettingsJson = RaceJson.Serialize(settings), SnapshotJson = RaceJson.Serialize(snapshot),
            CarIds = string.Join(',', cars.Select(c => c.Id)), ItemsTotal = (int)itemCount, CreatedAt = time.NowText(),
        };
        return (run, Items(runId, snapshot));
    }

    /// <summary>A load test as a run: one car, a suite whose prompts it cycles, and its profile as the run's settings.</summary>
    public async Task<RunRow?> PlanLoadTestAsync(string runId, LoadTestRequest request, Dictionary<string, List<string>> errors)
    {
        void Add(string field, string message) => (errors.TryGetValue(field, out var list) ? list : errors[field] = []).Add(message);
        var profile = Load.LoadProfile.From(request, errors);
        var suite = await SnapshotOfSuiteAsync(request.SuiteId, Add, "load-testing with it");
        CarSnapshot? car = null;
        if (string.IsNullOrWhiteSpace(request.CarId)) Add("car_id", "required");
        else if (await garage.GetCarAsync(request.CarId) is null) Add("car_id", $"car '{request.CarId}' does not exist");
        else if ((car = await SnapshotOfCarAsync(request.CarId)) is null) Add("car_id", $"car '{request.CarId}' has no connection");
        if (errors.Count > 0) return null;

        var snapshot = new RunSnapshot(suite!, [car!], new RunSettings());
        return new RunRow
        {
            Id = runId, Kind = RunKinds.Load, SuiteId = snapshot.Suite.Id, SuiteName = snapshot.Suite.Name,
            Status = RunStatus.Queued,
            SettingsJson = RaceJson.Serialize(profile), SnapshotJson = RaceJson.Serialize(snapshot), CarIds = car!.Id, ItemsTotal = 0,
            CreatedAt = time.NowText(),
        };
    }

    /// <summary>A new run of an earlier run's snapshot, raced exactly as it was (a load test has no items: its profile says
    /// what it sends).</summary>
    public (RunRow Run, List<RunItemRow> Items) Replan(string runId, RunRow original)
    {
        var snapshot = RaceJson.Deserialize<RunSnapshot>(original.SnapshotJson)!;
        var run = new RunRow
        {
            Id = runId, Kind = original.Kind, SuiteId = original.SuiteId, SuiteName = original.SuiteName, Status = RunStatus.Queued,
            SettingsJson = original.SettingsJson, SnapshotJson = original.SnapshotJson, CarIds = original.CarIds,
            ItemsTotal = original.ItemsTotal, CreatedAt = time.NowText(),
        };
        return (run, original.Kind == RunKinds.Load ? [] : Items(runId, snapshot));
    }

    /// <summary>A suite and its tests as they are now; null (with the reason added) when it is not named, missing or empty.</summary>
    private async Task<SuiteSnapshot?> SnapshotOfSuiteAsync(string? suiteId, Action<string, string> add, string purpose)
    {
        if (string.IsNullOrWhiteSpace(suiteId))
        {
            add("suite_id", "required");
            return null;
        }
        if (await suites.GetAsync(suiteId) is not { } suite)
        {
            add("suite_id", $"suite '{suiteId}' does not exist");
            return null;
        }
        var tests = await suites.GetTestsAsync(suite.Id);
        if (tests.Count == 0)
        {
            add("suite_id", $"suite '{suite.Name}' has no tests: add a test before {purpose}");
            return null;
        }
        return new SuiteSnapshot(suite.Id, suite.Name, suite.Category, suite.Description,
            [.. tests.Select(t => new TestSnapshot(t.Id, t.OrderIndex, t.Name, t.SystemPrompt, t.UserPrompt, t.ExpectedConstraints,
                t.ToolsSchemaJson, t.MaxToolTurns))]);
    }

    /// <summary>A car and its connection as they are now; null when either is gone. Never holds a secret.</summary>
    public async Task<CarSnapshot?> SnapshotOfCarAsync(string carId)
    {
        if (await garage.GetCarAsync(carId) is not { } car || await garage.GetConnectionAsync(car.ConnectionId) is not { } c) return null;
        return new CarSnapshot(car.Id, car.Name, car.Model, JsonNode.Parse(car.ParamsJson) as JsonObject ?? [],
            new ConnectionSnapshot(c.Id, c.Name, c.Type, c.BaseUrl, c.TimeoutS, c.MaxRetries, c.MaxConcurrency, c.HeadersTimeoutS,
                c.TotalTimeoutS));
    }

    private static List<RunItemRow> Items(string runId, RunSnapshot snapshot)
    {
        var items = new List<RunItemRow>();
        foreach (var test in snapshot.Suite.Tests)
            foreach (var car in snapshot.Cars)
                for (var r = 0; r < snapshot.Settings.Repeats; r++)
                    items.Add(new RunItemRow
                    {
                        Id = Ids.New("item"), RunId = runId, Ordinal = items.Count, TestId = test.Id, TestName = test.Name,
                        CarId = car.Id, CarName = car.Name, RepeatIndex = r, Status = ItemStatus.Pending,
                    });
        return items;
    }
}
