using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LLMRace.Tests.Integration;

/// <summary>A stored key goes only to the origin it was saved for: not after an edit, not down a redirect, not as a header it could
/// break.</summary>
public sealed class KeyCustodyTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string Key = "sk-custody-0123456789abcdef";
    private readonly RaceClient _client = new(fixture.App.Api);

    private async Task<string> ConnectionAsync(string type, Uri baseUrl, string? apiKey = Key) =>
        (await _client.PostAsync("/api/connections", new { name = "custody", type, base_url = baseUrl.ToString().TrimEnd('/'),
            api_key = apiKey })).GetProperty("id").GetString()!;

    private async Task<JsonElement> PutAsync(string id, object body)
    {
        using var response = await _client.Http.PutAsJsonAsync($"/api/connections/{id}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT -> {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static bool Carries(ReceivedRequest request, string secret) => request.Headers.Values.Any(v => v.Contains(secret,
        StringComparison.Ordinal));

    [Fact]
    public async Task Moving_a_connection_to_another_origin_drops_its_key_and_says_so()
    {
        await using var home = await HostileServer.StartAsync(HostileServer.ModelList);
        await using var elsewhere = await HostileServer.StartAsync(HostileServer.ModelList);
        var id = await ConnectionAsync("OPENAI_COMPAT", home.Address);

        // A new path on the same origin keeps the key.
        var samePlace = await PutAsync(id, new { name = "custody", type = "OPENAI_COMPAT", base_url = new Uri(home.Address,
            "/v1").ToString() });
        Assert.True(samePlace.GetProperty("api_key_set").GetBoolean());
        Assert.False(samePlace.TryGetProperty("notice", out _));
        await _client.PostAsync($"/api/connections/{id}/test", new { });
        Assert.Contains(home.Received, r => r.Headers.GetValueOrDefault("Authorization") == $"Bearer {Key}");

        // Another port is another origin: the key stays behind.
        var moved = await PutAsync(id, new { name = "custody", type = "OPENAI_COMPAT", base_url = elsewhere.Address.ToString() });
        Assert.False(moved.GetProperty("api_key_set").GetBoolean());
        Assert.Contains("removed", moved.GetProperty("notice").GetString());
        var test = await _client.PostAsync($"/api/connections/{id}/test", new { });
        Assert.Equal("ONLINE", test.GetProperty("status").GetString());
        Assert.NotEmpty(elsewhere.Received);
        Assert.DoesNotContain(elsewhere.Received, r => Carries(r, Key));

        // A key given with the move goes along, as asked.
        await PutAsync(id, new { name = "custody", type = "OPENAI_COMPAT", base_url = home.Address.ToString() });
        var withKey = await PutAsync(id, new { name = "custody", type = "OPENAI_COMPAT", base_url = elsewhere.Address.ToString(),
            api_key = "sk-second-key-000000000" });
        Assert.True(withKey.GetProperty("api_key_set").GetBoolean());
        Assert.False(withKey.TryGetProperty("notice", out _));
    }

    [Theory]
    [InlineData("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS")]
    [InlineData("LLMRACE_SECRET_KEY")]
    [InlineData("ASPNETCORE_URLS")]
    [InlineData("AWS_SECRET_ACCESS_KEY")]
    [InlineData("PATH")]
    public async Task A_key_can_come_only_from_a_provider_variable(string variable)
    {
        using var refused = await _client.Http.PostAsJsonAsync("/api/connections",
            new { name = "env", type = "OPENAI_COMPAT", base_url = "http://127.0.0.1:9", api_key_env_var = variable });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("OPENAI_API_KEY", errors.GetProperty("api_key_env_var")[0].GetString());

        var allowed = await _client.PostAsync("/api/connections", new { name = "env", type = "OPENAI_COMPAT",
            base_url = "http://127.0.0.1:9", api_key_env_var = "OPENAI_API_KEY" });
        Assert.Equal("OPENAI_API_KEY", allowed.GetProperty("api_key_env_var").GetString());
        using var put = await _client.Http.PutAsJsonAsync($"/api/connections/{allowed.GetProperty("id").GetString()}",
            new { name = "env", type = "OPENAI_COMPAT", base_url = "http://127.0.0.1:9", api_key_env_var = variable });
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
    }

    [Theory]
    [InlineData("LLAMACPP_OPENAI", true)]
    [InlineData("OPENAI_COMPAT", true)]
    [InlineData("OPENAI", false)]
    public async Task A_local_openai_compatible_server_gets_the_key_as_bearer_and_x_api_key_as_jan_reads_it(string type, bool both)
    {
        await using var jan = await HostileServer.StartAsync(HostileServer.ModelList);
        var id = await ConnectionAsync(type, jan.Address);
        var car = (await _client.PostAsync("/api/cars", new { name = "jan", connection_id = id, model = "m" })).GetProperty("id")
            .GetString()!;
        var suite = await _client.SuiteAsync("Jan", ("Ask", "hello", null));

        await _client.PostAsync($"/api/connections/{id}/test", new { });
        await _client.ReadStreamAsync(await _client.StartRunAsync(suite, car));

        Assert.Contains(jan.Received, r => r.PathAndQuery.EndsWith("/models", StringComparison.Ordinal));
        Assert.Contains(jan.Received, r => r.PathAndQuery.EndsWith("/chat/completions", StringComparison.Ordinal));
        Assert.All(jan.Received, r => Assert.Equal($"Bearer {Key}", r.Headers.GetValueOrDefault("Authorization")));
        Assert.All(jan.Received, r => Assert.Equal(both ? Key : null, r.Headers.GetValueOrDefault("X-API-Key")));
    }

    [Theory]
    [InlineData("ANTHROPIC", "x-api-key")]
    [InlineData("OPENAI", "Authorization")]
    [InlineData("OLLAMA", "Authorization")]
    public async Task A_redirect_to_another_origin_is_not_followed_with_or_without_the_key(string type, string header)
    {
        await using var thief = await HostileServer.StartAsync(HostileServer.ModelList);
        await using var redirector = await HostileServer.StartAsync(http =>
        {
            http.Response.StatusCode = StatusCodes.Status302Found;
            http.Response.Headers.Location = new Uri(thief.Address, http.Request.Path).ToString();
            return Task.CompletedTask;
        });
        var id = await ConnectionAsync(type, redirector.Address);
        var car = (await _client.PostAsync("/api/cars", new { name = "redirected", connection_id = id,
            model = "m" })).GetProperty("id").GetString()!;
        var suite = await _client.SuiteAsync("Redirected", ("Ask", "hello", null));

        var verify = await _client.PostAsync($"/api/connections/{id}/verify", new { });
        var run = await _client.RaceToEndAsync(suite, car);

        Assert.Contains(redirector.Received, r => r.Headers.ContainsKey(header));
        Assert.Empty(thief.Received);
        Assert.Equal("redirect", verify.GetProperty("discovery").GetProperty("failure").GetString());
        Assert.Contains(verify.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("follows none"));
        var item = (await _client.GetAsync($"/api/runs/{run}/items"))[0];
        Assert.Equal("error", item.GetProperty("status").GetString());
        Assert.Contains("redirects to", item.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("sk-abc\r\nX-Injected: 1")]
    [InlineData("sk-abc\nx")]
    [InlineData("sk-\u0000abc")]
    [InlineData("sk-abc\tdef")]
    public async Task A_key_with_a_control_character_is_refused_and_nothing_is_saved(string key)
    {
        var before = await _client.Http.GetStringAsync("/api/connections");
        using var created = await _client.Http.PostAsJsonAsync("/api/connections", new { name = "crlf", type = "ANTHROPIC",
            base_url = "http://127.0.0.1:9", api_key = key });
        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        Assert.Contains("control character", await created.Content.ReadAsStringAsync());
        Assert.Equal(before, await _client.Http.GetStringAsync("/api/connections"));

        var id = await ConnectionAsync("OPENAI", new Uri("http://127.0.0.1:9"));
        var saved = await _client.Http.GetStringAsync($"/api/connections/{id}");
        using var put = await _client.Http.PutAsJsonAsync($"/api/connections/{id}", new { name = "crlf", type = "OPENAI",
            base_url = "http://127.0.0.1:9", api_key = key });
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal(saved, await _client.Http.GetStringAsync($"/api/connections/{id}"));
    }

    [Fact]
    public async Task Credentials_in_a_base_url_are_kept_as_a_key_never_shown_and_sent_only_to_that_origin()
    {
        await using var server = await HostileServer.StartAsync(HostileServer.ModelList);
        await using var elsewhere = await HostileServer.StartAsync(HostileServer.ModelList);
        const string password = "pw-IN-THE-URL-7777";
        var withCredentials = new UriBuilder(server.Address) { UserName = "racer", Password = password }.Uri.ToString().TrimEnd('/');
        var created = await _client.PostAsync("/api/connections", new { name = "userinfo", type = "OPENAI_COMPAT",
            base_url = withCredentials });
        var id = created.GetProperty("id").GetString()!;
        var car = (await _client.PostAsync("/api/cars", new { name = "userinfo car", connection_id = id,
            model = "m" })).GetProperty("id").GetString()!;
        var suite = await _client.SuiteAsync("Userinfo", ("Ask", "hello", null));
        var run = await _client.RaceToEndAsync(suite, car);
        await _client.PostAsync($"/api/connections/{id}/test", new { });

        var shown = new List<string> { created.GetRawText(), await _client.Http.GetStringAsync("/api/connections"),
            await _client.Http.GetStringAsync($"/api/connections/{id}") };
        foreach (var format in new[] { "json", "csv",
            "junit" }) shown.Add(await _client.Http.GetStringAsync($"/api/runs/{run}/export?format={format}"));
        Assert.All(shown, text => Assert.DoesNotContain(password, text));
        Assert.Equal(server.Address.ToString().TrimEnd('/'), created.GetProperty("base_url").GetString());
        Assert.True(created.GetProperty("base_url_credentials_set").GetBoolean());
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"racer:{password}"));
        Assert.Contains(server.Received, r => r.Headers.GetValueOrDefault("Authorization") == basic);

        var moved = await PutAsync(id, new { name = "userinfo", type = "OPENAI_COMPAT", base_url = elsewhere.Address.ToString() });
        Assert.False(moved.GetProperty("base_url_credentials_set").GetBoolean());
        await _client.PostAsync($"/api/connections/{id}/test", new { });
        Assert.DoesNotContain(elsewhere.Received, r => r.Headers.ContainsKey("Authorization"));
    }
}
