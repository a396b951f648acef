using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.SignalR.Client;

namespace LLMRace.Tests.Integration;

/// <summary>Access control: the token, CORS, and refusing to listen beyond this machine unprotected.</summary>
public sealed class AccessTests : IDisposable
{
    private const string Token = "race-token-0123456789";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("llmrace-access-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task With_a_token_set_every_api_stream_and_hub_request_needs_it_and_health_stays_open()
    {
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_ACCESS_TOKEN"] = Token });
        using var anonymous = new HttpClient { BaseAddress = api.Address };
        using var authorized = new HttpClient { BaseAddress = api.Address };
        authorized.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var wrong = new HttpClient { BaseAddress = api.Address };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");

        var runs = await authorized.GetStringAsync("/api/runs");
        var suiteId = System.Text.Json.JsonDocument.Parse(await authorized.GetStringAsync("/api/suites")).RootElement[0].GetProperty("id").GetString();
        foreach (var path in new[] { "/api/health", "/api/runs", "/api/suites", "/api/connections", $"/api/suites/{suiteId}/export", "/api/runs/run_x/stream", "/openapi/v1.json", "/api/docs" })
        {
            using var refused = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("access token", await refused.Content.ReadAsStringAsync());
            using var wrongToken = await wrong.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);
        }
        using (var ok = await authorized.GetAsync($"/api/suites/{suiteId}/export")) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var byQuery = await anonymous.GetAsync($"/api/suites/{suiteId}/export?access_token={Token}")) Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        // In the query only where a header cannot be sent: a stream, a download, the hub.
        foreach (var path in new[] { "/api/runs", "/api/suites", $"/api/suites/{suiteId}", "/api/connections", "/openapi/v1.json" })
        {
            using var refusedByQuery = await anonymous.GetAsync($"{path}?access_token={Token}");
            Assert.Equal(HttpStatusCode.Unauthorized, refusedByQuery.StatusCode);
        }
        using (var postByQuery = await anonymous.PostAsync($"/api/runs?access_token={Token}", new StringContent("{}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Unauthorized, postByQuery.StatusCode);
        using (var refusedPost = await anonymous.PostAsync("/api/runs", new StringContent("{}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Unauthorized, refusedPost.StatusCode);
        foreach (var open in new[] { "/health", "/alive" })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(open)).StatusCode);

        // The hub: refused without the token, joined with it.
        var hubUrl = new Uri(api.Address, "/hubs/race");
        await using var noToken = new HubConnectionBuilder().WithUrl(hubUrl).Build();
        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() => noToken.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        await using var withToken = new HubConnectionBuilder().WithUrl(hubUrl, o => o.AccessTokenProvider = () => Task.FromResult<string?>(Token)).Build();
        await withToken.StartAsync();
        Assert.Equal(HubConnectionState.Connected, withToken.State);
        Assert.NotEmpty(runs);
        // Requests under any host name are answered once a token guards them (a deployment's own name).
        using var named = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        named.Headers.Host = "llmrace.example.com";
        using (var byName = await authorized.SendAsync(named)) Assert.Equal(HttpStatusCode.OK, byName.StatusCode);
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
        using (var ok = await http.GetAsync($"/api/suites/{suiteId}/export?access_token={Token}")) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var refused = await http.GetAsync($"/api/runs?access_token={Token}&limit=1")) Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var missing = await http.GetAsync($"/api/runs/run_missing/stream?access_token={Token}")) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        Assert.Contains("/api/runs/run_missing/stream", api.Output);
        Assert.DoesNotContain(Token, api.Output);
    }

    private static async Task<string> FirstSuiteAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/suites");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement[0].GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Without_a_token_only_loopback_host_names_are_answered_and_other_sites_cannot_write()
    {
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_ALLOWED_HOSTS"] = "racer.lan" });
        using var http = new HttpClient { BaseAddress = api.Address };
        var connection = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/connections")).RootElement[0].GetProperty("id").GetString();

        async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, string? host = null, string? origin = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (host is not null) request.Headers.Host = host;
            if (origin is not null) request.Headers.Add("Origin", origin);
            if (method != HttpMethod.Get) request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request);
            if ((int)response.StatusCode is 400 or 403)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return response.StatusCode;
        }

        // DNS rebinding: a page of another site whose name now resolves to 127.0.0.1 sends its own name.
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Get, "/api/connections", host: "rebound.attacker.example:8000"));
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test", host: "rebound.attacker.example"));
        foreach (var host in new[] { "localhost", $"localhost:{api.Address.Port}", "127.0.0.1:8000", "[::1]:8000", "racer.lan", "RACER.lan:3000" })
            Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/api/connections", host: host));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/health", host: "localhost"));

        // A cross-site form POST carries the other site's Origin: refused before it reaches the endpoint.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test", origin: "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Delete, $"/api/connections/{connection}", origin: "null"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Put, $"/api/connections/{connection}", origin: "http://localhost.evil.example"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/api/connections", origin: "http://evil.example"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test", origin: "http://127.0.0.1:3000"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test", origin: api.Address.GetLeftPart(UriPartial.Authority)));
        Assert.NotNull(System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/api/connections/{connection}")).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_database_and_key_files_are_readable_by_their_owner_only()
    {
        await using (await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>())) { }
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        foreach (var file in new[] { "llmrace.db", "llmrace.secret.key" })
            Assert.Equal(ownerOnly, File.GetUnixFileMode(Path.Combine(_dataDir, file)));

        // Files an older version left readable by all are tightened at the next start.
        File.SetUnixFileMode(Path.Combine(_dataDir, "llmrace.db"), ownerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(Path.Combine(_dataDir, "llmrace.secret.key"), ownerOnly | UnixFileMode.OtherRead);
        await using (await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>())) { }
        foreach (var file in Directory.EnumerateFiles(_dataDir))
            Assert.Equal(ownerOnly, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task Cors_allows_localhost_and_listed_origins_only()
    {
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_CORS_ORIGINS"] = "https://pit.example.com" });
        using var http = new HttpClient { BaseAddress = api.Address };

        async Task<string?> Allowed(string origin)
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/runs");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            using var response = await http.SendAsync(preflight);
            return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
        }

        Assert.Equal("http://localhost:3000", await Allowed("http://localhost:3000"));
        Assert.Equal("http://127.0.0.1:5173", await Allowed("http://127.0.0.1:5173"));
        Assert.Equal("https://pit.example.com", await Allowed("https://pit.example.com"));
        Assert.Null(await Allowed("https://evil.example.com"));
        Assert.Null(await Allowed("http://localhost.evil.example.com"));
    }

    [Fact]
    public async Task The_api_refuses_to_listen_beyond_this_machine_without_a_token_unless_told_to()
    {
        var refused = await Assert.ThrowsAsync<StandaloneApiExited>(() => StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>(), host: "0.0.0.0"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("will not start: it would listen beyond this machine", refused.Output);
        Assert.Contains("LLMRACE_ACCESS_TOKEN", refused.Output);

        await using (await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_ACCESS_TOKEN"] = Token }, host: "0.0.0.0")) { }
        await using (await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_ALLOW_ANONYMOUS"] = "true" }, host: "0.0.0.0")) { }

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
            ["Orleans__Endpoints__SiloPort"] = StandaloneApi.FreePort().ToString(), ["Orleans__Endpoints__GatewayPort"] = StandaloneApi.FreePort().ToString(),
        });
        var hostedListening = ListeningSockets(hosted.ProcessId);
        Assert.All(hostedListening, address => Assert.StartsWith("127.0.0.1:", address));
        using var http = new HttpClient { BaseAddress = hosted.Address };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/runs")).StatusCode);
    }

    /// <summary>The local addresses a process listens on (TCP), as the kernel reports them.</summary>
    private static List<string> ListeningSockets(int pid)
    {
        var ss = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ss", "-Hltnp") { RedirectStandardOutput = true })!;
        var lines = ss.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        ss.WaitForExit();
        return [.. lines.Where(l => l.Contains($"pid={pid},", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3])];
    }
}
