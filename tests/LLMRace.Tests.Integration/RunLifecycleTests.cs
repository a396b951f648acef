using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>
/// The run grain owns a run's whole lifecycle, so commands sent together cannot both write its log: every pair of
/// resume, re-run, cancel and judge, fired at once at a cancelled run fifty times, leaves each log gap-free and closed.
/// </summary>
public sealed class RunLifecycleTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const int Rounds = 50;
    private static readonly string[] Commands = ["resume", "rerun", "cancel", "judge"];
    private readonly RaceClient _client = new(fixture.App.Api);

    [Fact]
    public async Task Every_pair_of_lifecycle_commands_sent_at_once_leaves_every_log_exact()
    {
        var connection = (await _client.PostAsync("/api/connections",
            new { name = "lifecycle", type = "SIMULATOR", base_url = fixture.App.SimBase.ToString().TrimEnd('/'),
                max_concurrency = 256 })).GetProperty("id").GetString()!;
        var fast = (await _client.PostAsync("/api/cars", new { name = "lifecycle fast", connection_id = connection,
            model = "instant?tokens=3" })).GetProperty("id").GetString()!;
        var stuck = (await _client.PostAsync("/api/cars", new { name = "lifecycle stuck", connection_id = connection,
            model = "sprinter?fault=hang" })).GetProperty("id").GetString()!;
        var suite = await _client.SuiteAsync("Lifecycle", ("Lap", "go", "Is quick."));
        var pairs = Commands.SelectMany((a, i) => Commands.Skip(i).Select(b => (a, b))).ToList();
        var accepted = pairs.ToDictionary(p => p, _ => 0);

        for (var round = 0; round < Rounds; round++)
        {
            await Task.WhenAll(pairs.Select(async pair =>
            {
                var run = await CancelledRunAsync(suite, fast, stuck);
                var answers = await Task.WhenAll(SendAsync(pair.a, run, fast), SendAsync(pair.b, run, fast));
                Assert.All(answers,
                    a => Assert.True(a.Status is HttpStatusCode.Accepted or HttpStatusCode.Created or HttpStatusCode.Conflict,
                    $"{pair.a} + {pair.b} on {run}: {(int)a.Status} {a.Body}"));
                lock (accepted) accepted[pair] += answers.Count(a => a.Status != HttpStatusCode.Conflict);
                foreach (var id in answers.Select(a => a.NewRun).OfType<string>().Prepend(run).Distinct())
                    await AssertExactLogAsync(id, $"{pair.a} + {pair.b}");
            }));
        }
        // Each command was accepted in some round, so the pairs really raced each other.
        Assert.All(Commands, c => Assert.Contains(accepted, a => (a.Key.a == c || a.Key.b == c) && a.Value > 0));
    }

    /// <summary>A run with one item passed and one cut off by a cancel: resumable, judgeable, re-runnable.</summary>
    private async Task<string> CancelledRunAsync(string suite, string fast, string stuck)
    {
        var run = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { fast, stuck },
            settings = new { concurrency = 2 } })).GetProperty("id").GetString()!;
        var started = await _client.ReadStreamAsync(run, stopWhen: e => e.Type == "item.completed");
        await _client.PostAsync($"/api/runs/{run}/cancel", new { });
        var rest = await _client.ReadStreamAsync(run, started[^1].Seq);
        Assert.Equal("run.cancelled", rest[^1].Type);
        return run;
    }

    private async Task<(HttpStatusCode Status, string Body, string? NewRun)> SendAsync(string command, string run, string judge)
    {
        using var response = command switch
        {
            "judge" => await _client.Http.PostAsJsonAsync($"/api/runs/{run}/judge", new { judge_car_id = judge }),
            _ => await _client.Http.PostAsync($"/api/runs/{run}/{command}", null),
        };
        var body = await response.Content.ReadAsStringAsync();
        var newRun = command == "rerun" && response.StatusCode == HttpStatusCode.Created
            ? JsonDocument.Parse(body).RootElement.GetProperty("id").GetString() : null;
        return (response.StatusCode, body, newRun);
    }

    /// <summary>Stops whatever still races, then reads the whole log: seqs 1..N once each, every start closed, the stored status the log's
    /// last word.</summary>
    private async Task AssertExactLogAsync(string run, string what)
    {
        await _client.PostAsync($"/api/runs/{run}/cancel", new { });
        var events = await _client.ReadStreamAsync(run, 0);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        var open = 0;
        var judging = 0;
        string? lastRunEnd = null;
        foreach (var e in events)
        {
            switch (e.Type)
            {
                case "run.started": Assert.True(open == 0 && judging == 0,
                    $"{what}: {run} started again while open at seq {e.Seq}"); open++; break;
                case "run.completed" or "run.cancelled" or "run.failed": Assert.True(open == 1,
                    $"{what}: {run} ended twice at seq {e.Seq}"); open--; lastRunEnd = e.Type; break;
                case "judge.started": Assert.True(open == 0 && judging == 0,
                    $"{what}: {run} judged while racing at seq {e.Seq}"); judging++; break;
                case "judge.completed" or "judge.failed": judging--; break;
                case "item.judged": Assert.True(judging == 1, $"{what}: a grade outside a judging at seq {e.Seq}"); break;
                default: Assert.True(open == 1, $"{what}: {e.Type} outside a race at seq {e.Seq}"); break;
            }
        }
        Assert.True(open == 0 && judging == 0,
            $"{what}: the log of {run} ends open ({string.Join(", ", events.TakeLast(3).Select(e => e.Type))})");
        var status = (await _client.GetAsync($"/api/runs/{run}")).GetProperty("status").GetString();
        Assert.Equal(lastRunEnd, $"run.{(status == "interrupted" ? "failed" : status)}");
    }
}
