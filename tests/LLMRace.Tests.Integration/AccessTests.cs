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
    }
}
