using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace LLMRace.Tests.Integration;

/// <summary>
/// The Api killed hard mid-run, twenty times in a row on one database, by turns while an item streams its text and just
/// as an item's outcome was written: nothing written is lost, the run ends interrupted and resumes.
/// </summary>
public sealed class CrashTests : IDisposable
{
    /// <summary>Whether the race has gone far enough past what was read before the last kill to kill it again.</summary>
    private static bool KillNow(int kill, StreamedEvent e, int seenBeforeKill) => kill % 2 == 0
        ? e.Type == "item.delta" && e.Seq > seenBeforeKill + 20
        : e.Type == "item.completed" && e.Seq > seenBeforeKill;

    private readonly string _dataDir = Directory.CreateTempSubdirectory("llmrace-crash-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Twenty_sigkills_mid_run_lose_no_written_event_and_leave_a_sound_database()
    {
        const int Kills = 20;
        var environment = new Dictionary<string, string> { ["LLMRACE_SIMULATOR_URL"] = (await SharedSimulator.AddressAsync()).ToString() };
        var database = Path.Combine(_dataDir, "llmrace.db");
        string? runId = null;
        var seenBeforeKill = new List<string>();
        var interrupted = 0;

        for (var kill = 0; kill <= Kills; kill++)
        {
            var api = await StandaloneApi.StartAsync(_dataDir, environment);
            var client = new RaceClient(new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromMinutes(2) });
            if (runId is null)
            {
                var words = string.Join(' ', Enumerable.Range(1, 60).Select(i => $"k{i}"));
                var suite = await client.SuiteAsync("Crash course", [.. Enumerable.Range(1, 16).Select(i => ($"Lap {i}", words,
                    (string?)null))]);
                var car = await client.CarAsync("Crash car", "echo?ttft_ms=5&itl_ms=3");
                runId = await client.StartRunAsync(suite, car);
            }
            else
            {
                // After the kill: everything read before it is still there, in order; the run was closed as interrupted.
                var log = await client.ReadStreamAsync(runId);
                Assert.Equal(Enumerable.Range(1, log.Count).Select(i => (long)i), log.Select(e => e.Seq));
                Assert.Equal(seenBeforeKill, log.Take(seenBeforeKill.Count).Select(e => e.Json.GetRawText()));
                if (log[^1].Type == "run.completed")
                {
                    // A busy machine let the run finish between the last event read and the kill: it is whole, so the
                    // next laps kill a re-run of it.
                    Assert.All((await client.GetAsync($"/api/runs/{runId}/items")).EnumerateArray(),
                        i => Assert.Equal("passed", i.GetProperty("status").GetString()));
                    if (kill == Kills)
                    {
                        await api.DisposeAsync();
                        break;
                    }
                    runId = (await client.PostAsync($"/api/runs/{runId}/rerun", new { })).GetProperty("id").GetString()!;
                    seenBeforeKill = [];
                }
                else
                {
                    Assert.Equal("run.failed", log[^1].Type);
                    Assert.Equal("interrupted", log[^1].Data.GetProperty("status").GetString());
                    interrupted++;
                    Assert.Equal("interrupted", (await client.GetAsync($"/api/runs/{runId}")).GetProperty("status").GetString());
                    if (kill == Kills)
                    {
                        // The last start: resume to the finish.
                        (await client.Http.PostAsync($"/api/runs/{runId}/resume", null)).EnsureSuccessStatusCode();
                        var end = await client.ReadStreamAsync(runId, log[^1].Seq, limit: TimeSpan.FromMinutes(3));
                        Assert.Equal("run.completed", end[^1].Type);
                        var items = (await client.GetAsync($"/api/runs/{runId}/items")).EnumerateArray().ToList();
                        Assert.All(items, i => Assert.Equal("passed", i.GetProperty("status").GetString()));
                        await api.DisposeAsync();
                        break;
                    }
                    (await client.Http.PostAsync($"/api/runs/{runId}/resume", null)).EnsureSuccessStatusCode();
                }
            }

            // Let it race on, remember what was written, then kill it hard.
            var seen = seenBeforeKill.Count;
            var read = await client.ReadStreamAsync(runId, stopWhen: e => KillNow(kill, e, seen));
            seenBeforeKill = [.. read.Select(e => e.Json.GetRawText())];
            await api.KillAsync();
            await CheckIntegrityAsync(database);
        }
        // Most kills must land mid-run: a run finishing before its kill is the exception a slow reader allows.
        Assert.True(interrupted >= Kills / 2, $"only {interrupted} of {Kills} kills interrupted a run");
    }

    private static async Task CheckIntegrityAsync(string database)
    {
        using var db = new SqliteConnection($"Data Source={database};Pooling=False");
        await db.OpenAsync();
        using var check = db.CreateCommand();
        check.CommandText = "PRAGMA integrity_check;";
        Assert.Equal("ok", (string?)await check.ExecuteScalarAsync());
    }
}
