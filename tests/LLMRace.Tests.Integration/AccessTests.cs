using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.SignalR.Client;

namespace LLMRace.Tests.Integration;

/// <summary>Access control: the token, host names, CORS and the files' modes, on Apis hosted in the test process.</summary>
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
        await using var api = await InProcessApi.StartAsync(_dataDir, new Dictionary<string, string> { ["LLMRACE_ACCESS_TOKEN"] = Token });
        using var anonymous = new HttpClient { BaseAddress = api.ApiBase };
        using var authorized = new HttpClient { BaseAddress = api.ApiBase };
        authorized.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var wrong = new HttpClient { BaseAddress = api.ApiBase };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");

        var runs = await authorized.GetStringAsync("/api/runs");
        var suiteId = System.Text.Json.JsonDocument.Parse(await authorized.GetStringAsync("/api/suites")).RootElement[0]
            .GetProperty("id").GetString();
        foreach (var path in new[] { "/api/health", "/api/runs", "/api/suites", "/api/connections", $"/api/suites/{suiteId}/export",
            "/api/runs/run_x/stream", "/openapi/v1.json", "/api/docs" })
        {
            using var refused = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("access token", await refused.Content.ReadAsStringAsync());
            using var wrongToken = await wrong.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);
        }
        using (var ok = await authorized.GetAsync($"/api/suites/{suiteId}/export")) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var byQuery = await anonymous.GetAsync($"/api/suites/{suiteId}/export?access_token={Token}")) Assert.Equal(HttpStatusCode.OK,
            byQuery.StatusCode);
        // In the query only where a header cannot be sent: a stream, a download, the hub.
        foreach (var path in new[] { "/api/runs", "/api/suites", $"/api/suites/{suiteId}", "/api/connections", "/openapi/v1.json" })
        {
            using var refusedByQuery = await anonymous.GetAsync($"{path}?access_token={Token}");
            Assert.Equal(HttpStatusCode.Unauthorized, refusedByQuery.StatusCode);
        }
        using (var postByQuery = await anonymous.PostAsync($"/api/runs?access_token={Token}", new StringContent("{}",
            System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Unauthorized, postByQuery.StatusCode);
        using (var refusedPost = await anonymous.PostAsync("/api/runs", new StringContent("{}", System.Text.Encoding.UTF8,
            "application/json")))
            Assert.Equal(HttpStatusCode.Unauthorized, refusedPost.StatusCode);
        foreach (var open in new[] { "/health", "/alive" })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(open)).StatusCode);

        // The hub: refused without the token, joined with it.
        var hubUrl = new Uri(api.ApiBase, "/hubs/race");
        await using var noToken = new HubConnectionBuilder().WithUrl(hubUrl).Build();
        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() => noToken.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        await using var withToken = new HubConnectionBuilder().WithUrl(hubUrl,
            o => o.AccessTokenProvider = () => Task.FromResult<string?>(Token)).Build();
        await withToken.StartAsync();
        Assert.Equal(HubConnectionState.Connected, withToken.State);
        Assert.NotEmpty(runs);
        // Requests under any host name are answered once a token guards them (a deployment's own name).
        using var named = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        named.Headers.Host = "llmrace.example.com";
        using (var byName = await authorized.SendAsync(named)) Assert.Equal(HttpStatusCode.OK, byName.StatusCode);
    }

    [Fact]
    public async Task Without_a_token_only_loopback_host_names_are_answered_and_other_sites_cannot_write()
    {
        await using var api = await InProcessApi.StartAsync(_dataDir, new Dictionary<string,
            string> { ["LLMRACE_ALLOWED_HOSTS"] = "racer.lan" });
        using var http = new HttpClient { BaseAddress = api.ApiBase };
        var connection = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/connections")).RootElement[0]
            .GetProperty("id").GetString();

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
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test",
            host: "rebound.attacker.example"));
        foreach (var host in new[] { "localhost", $"localhost:{api.ApiBase.Port}", "127.0.0.1:8000", "[::1]:8000", "racer.lan",
            "RACER.lan:3000" })
            Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/api/connections", host: host));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/health", host: "localhost"));

        // A cross-site form POST carries the other site's Origin: refused before it reaches the endpoint.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test",
            origin: "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Delete, $"/api/connections/{connection}", origin: "null"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Put, $"/api/connections/{connection}",
            origin: "http://localhost.evil.example"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/api/connections", origin: "http://evil.example"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test",
            origin: "http://127.0.0.1:3000"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, $"/api/connections/{connection}/test",
            origin: api.ApiBase.GetLeftPart(UriPartial.Authority)));
        Assert.NotNull(System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/api/connections/{connection}")).RootElement
            .GetProperty("id").GetString());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_database_and_key_files_are_readable_by_their_owner_only()
    {
        await using (await InProcessApi.StartAsync(_dataDir, new Dictionary<string, string>())) { }
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        foreach (var file in new[] { "llmrace.db", "llmrace.secret.key" })
            Assert.Equal(ownerOnly, File.GetUnixFileMode(Path.Combine(_dataDir, file)));

        // Files an older version left readable by all are tightened at the next start.
        File.SetUnixFileMode(Path.Combine(_dataDir, "llmrace.db"), ownerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(Path.Combine(_dataDir, "llmrace.secret.key"), ownerOnly | UnixFileMode.OtherRead);
        await using (await InProcessApi.StartAsync(_dataDir, new Dictionary<string, string>())) { }
        foreach (var file in Directory.EnumerateFiles(_dataDir))
            Assert.Equal(ownerOnly, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task Cors_allows_localhost_and_listed_origins_only()
    {
        await using var api = await InProcessApi.StartAsync(_dataDir, new Dictionary<string,
            string> { ["LLMRACE_CORS_ORIGINS"] = "https://pit.example.com" });
        using var http = new HttpClient { BaseAddress = api.ApiBase };

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
}
