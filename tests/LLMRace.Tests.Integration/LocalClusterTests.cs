using System.Diagnostics;

namespace LLMRace.Tests.Integration;

/// <summary>
/// `LLMRACE_SILOS=3` on the real AppHost: PostgreSQL and Redis from this machine's binaries, three Apis as one cluster.
/// </summary>
public sealed class LocalClusterTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("llmrace-local-cluster-").FullName;
    private RaceApp _app = null!;

    public async Task InitializeAsync()
    {
        // As root, PostgreSQL runs as the postgres user, who must reach its folder inside this one (made owner-only).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_dataDir, (UnixFileMode)0b111_101_101);
        _app = new RaceApp(_dataDir, withUi: false, "LLMRACE_SILOS=3", $"LLMRACE_LOCAL_POSTGRES_PORT={TestPorts.Next()}",
            $"LLMRACE_LOCAL_REDIS_PORT={TestPorts.Next()}", $"LLMRACE_LOCAL_SILO_PORT={TestPorts.Next()}");
        // Three silo ports in a row from the first one handed out.
        TestPorts.Next();
        TestPorts.Next();
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        // The AppHost stops what it started; anything of this folder still running is stopped here, never left behind.
        using (var leftovers = Process.Start("pkill", ["-f", _dataDir])) await leftovers.WaitForExitAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Three_apis_on_local_postgresql_and_redis_race_as_one_cluster()
    {
        var first = new RaceClient(_app.Api);
        var second = new RaceClient(await _app.ClientOfAsync("api-2"));
        var third = new RaceClient(await _app.ClientOfAsync("api-3"));
        var suite = await first.SuiteAsync("Local cluster", ("One", "a b c d e f g h", null), ("Two", "i j k l m n o p", null));
        var car = await second.CarAsync("Local", "echo?ttft_ms=10&itl_ms=5");

        var runId = await third.StartRunAsync(suite, car);
        var watched = await Task.WhenAll(first.ReadStreamAsync(runId), second.ReadStreamAsync(runId));

        Assert.Equal("run.completed", watched[0][^1].Type);
        Assert.Equal(Enumerable.Range(1, watched[0].Count).Select(i => (long)i), watched[0].Select(e => e.Seq));
        Assert.Equal(watched[0].Select(e => e.Json.GetRawText()), watched[1].Select(e => e.Json.GetRawText()));
        Assert.Contains(_app.ApiLogs, line => line.Contains("Database ready (postgresql)"));
        Assert.False(File.Exists(Path.Combine(_dataDir, "llmrace.db")), "no SQLite file in a cluster");
    }
}
