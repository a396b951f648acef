using System.Net;
using System.Net.Http.Headers;

namespace LLMRace.Tests.Integration;

/// <summary>
/// What only a real Api process shows: what it logs to its console, what it refuses to start with, and the sockets the
/// kernel says it listens on.
/// </summary>
public sealed class ExposureTests : IDisposable
{
    private const string Token = "race-token-0123456789";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("llmrace-exposure-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_token_sent_in_a_query_is_never_written_to_the_log_at_any_level()
    {
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>
        {
            ["LLMRACE_ACCESS_TOKEN"] = Token, ["Logging__LogLevel__Default"] = "Trace", ["Logging__LogLevel__Microsoft"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace", ["Logging__LogLevel__Orleans"] = "Warning",
        });
        using var http = new HttpClient { BaseAddress = api.Address };
        var suiteId = await FirstSuiteAsync(http, Token);
        using (var ok = await http.GetAsync($"/api/suites/{suiteId}/export?access_token={Token}")) Assert.Equal(HttpStatusCode.OK,
            ok.StatusCode);
        using (var refused = await http.GetAsync($"/api/runs?access_token={Token}&limit=1")) Assert.Equal(HttpStatusCode.Unauthorized,
            refused.StatusCode);
        using (var missing = await http.GetAsync($"/api/runs/run_missing/stream?access_token={Token}"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // The console logger writes from a queue of its own, in order: once a later request's line is out, every line of the
        // requests above is too.
        using (await http.GetAsync("/api/runs/run_logged_after/stream")) { }
        await api.WaitForLineAsync("run_logged_after").WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Contains("/api/runs/run_missing/stream", api.Output);
        Assert.DoesNotContain(Token, api.Output);
    }

    private static async Task<string> FirstSuiteAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/suites");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement[0]
            .GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task The_api_refuses_to_listen_beyond_this_machine_without_a_token_unless_told_to()
    {
        var refused = await Assert.ThrowsAsync<StandaloneApiExited>(() => StandaloneApi.StartAsync(_dataDir, new Dictionary<string,
            string>(), host: "0.0.0.0"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("will not start: it would listen beyond this machine", refused.Output);
        Assert.Contains("LLMRACE_ACCESS_TOKEN", refused.Output);

        await using (await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_ACCESS_TOKEN"] = Token },
            host: "0.0.0.0")) { }
        await using (await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_ALLOW_ANONYMOUS"] = "true" },
            host: "0.0.0.0")) { }

        // However the address is given: Kestrel's own endpoint settings bind beyond loopback just as well.
        var kestrel = await Assert.ThrowsAsync<StandaloneApiExited>(() => StandaloneApi.StartAsync(_dataDir,
            new Dictionary<string, string> { ["Kestrel__Endpoints__Http__Url"] = "http://0.0.0.0:0" }));
        Assert.Equal(1, kestrel.ExitCode);
        Assert.Contains("will not start: it would listen beyond this machine (http://0.0.0.0:0", kestrel.Output);
    }

    [Fact]
    public async Task A_single_silo_listens_on_loopback_only_and_opens_no_gateway()
    {
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>());
        var listening = ListeningSockets(api.ProcessId);
        Assert.Equal(2, listening.Count); // the Api and the silo; no gateway
        Assert.All(listening, address => Assert.StartsWith("127.0.0.1:", address));

        // As the AppHost configures it: development clustering, the ports Aspire allots.
        await using var hosted = await StandaloneApi.StartAsync(Path.Combine(_dataDir, "hosted"), new Dictionary<string, string>
        {
            ["Orleans__Clustering__ProviderType"] = "Development", ["Orleans__ClusterId"] = "race", ["Orleans__ServiceId"] = "race",
            ["Orleans__Streaming__RaceStreams__ProviderType"] = "Memory", ["Orleans__GrainStorage__PubSubStore__ProviderType"] = "Memory",
            ["Orleans__Endpoints__SiloPort"] = TestPorts.Next().ToString(),
                ["Orleans__Endpoints__GatewayPort"] = TestPorts.Next().ToString(),
        });
        var hostedListening = ListeningSockets(hosted.ProcessId);
        Assert.All(hostedListening, address => Assert.StartsWith("127.0.0.1:", address));
        using var http = new HttpClient { BaseAddress = hosted.Address };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/runs")).StatusCode);
    }

    /// <summary>The local addresses a process listens on (TCP), as the kernel reports them.</summary>
    private static List<string> ListeningSockets(int pid)
    {
        var ss = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ss",
            "-Hltnp") { RedirectStandardOutput = true })!;
        var lines = ss.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        ss.WaitForExit();
        return [.. lines.Where(l => l.Contains($"pid={pid},", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3])];
    }
}
