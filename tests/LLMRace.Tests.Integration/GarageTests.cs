using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>Connections: discovery, Test, Verify Runtime and its hints, and keys that never leak.</summary>
public sealed class GarageTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);
    private string Sim(string path = "") => new Uri(fixture.App.SimBase, path).ToString().TrimEnd('/');

    private async Task<string> ConnectionAsync(string type, string baseUrl, string? apiKey = null, double timeout = 2) =>
        (await _client.PostAsync("/api/connections", new { name = "garage", type, base_url = baseUrl, api_key = apiKey,
            timeout_s = timeout })).GetProperty("id").GetString()!;

    private async Task<JsonElement> VerifyAsync(string id) => await _client.PostAsync($"/api/connections/{id}/verify", new { });

    [Theory]
    [InlineData("OPENAI_COMPAT")]
    [InlineData("OLLAMA")]
    [InlineData("ANTHROPIC")]
    [InlineData("OPENROUTER")]
    public async Task Test_and_discovery_list_the_servers_models(string type)
    {
        var id = await ConnectionAsync(type, Sim());

        var test = await _client.PostAsync($"/api/connections/{id}/test", new { });
        var models = await _client.GetAsync($"/api/connections/{id}/models");

        Assert.Equal("ONLINE", test.GetProperty("status").GetString());
        Assert.True(test.GetProperty("model_count").GetInt32() >= 4);
        Assert.True(test.GetProperty("latency_ms").GetDouble() > 0);
        Assert.Contains("echo", models.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task Verify_names_the_auth_source_and_hints_at_each_known_failure()
    {
        var refused = await VerifyAsync(await ConnectionAsync("OPENAI_COMPAT", "http://localhost:9"));
        Assert.Equal("refused", refused.GetProperty("discovery").GetProperty("failure").GetString());
        Assert.Contains(refused.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("host.docker.internal:9"));
        Assert.Equal("none", refused.GetProperty("auth_source").GetString());

        var noKey = await VerifyAsync(await ConnectionAsync("OPENAI_COMPAT", Sim("/fault/require_key")));
        Assert.Equal("unauthorized", noKey.GetProperty("discovery").GetProperty("failure").GetString());
        Assert.False(noKey.GetProperty("auth_present").GetBoolean());
        Assert.Contains(noKey.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("API key (401)"));

        var withKey = await VerifyAsync(await ConnectionAsync("OPENAI_COMPAT", Sim("/fault/require_key"), apiKey: "sk-verify-0123456789"));
        Assert.Equal("ok", withKey.GetProperty("discovery").GetProperty("status").GetString());
        Assert.Equal("encrypted_db", withKey.GetProperty("auth_source").GetString());
        Assert.True(withKey.GetProperty("auth_present").GetBoolean());

        var badHost = await VerifyAsync(await ConnectionAsync("OPENAI_COMPAT", Sim("/fault/bad_host")));
        Assert.Equal("invalid_host", Snake(badHost.GetProperty("discovery").GetProperty("failure").GetString()));
        Assert.Contains(badHost.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("Trusted Hosts"));

        var wrongPrefix = await VerifyAsync(await ConnectionAsync("OLLAMA", Sim("/nothing-here")));
        Assert.Equal("notfound", wrongPrefix.GetProperty("discovery").GetProperty("failure").GetString());
        Assert.Contains(wrongPrefix.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("API prefix"));

        var hang = await VerifyAsync(await ConnectionAsync("OPENAI_COMPAT", Sim("/fault/hang"), timeout: 1));
        Assert.Equal("timeout", hang.GetProperty("discovery").GetProperty("failure").GetString());
        Assert.Contains(hang.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("timeout_s"));

        var tls = await VerifyAsync(await ConnectionAsync("OPENAI_COMPAT", Sim().Replace("http://", "https://")));
        Assert.Equal("tls", tls.GetProperty("discovery").GetProperty("failure").GetString());
        Assert.Contains(tls.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("TLS"));

        var unknownHost = await VerifyAsync(await ConnectionAsync("OLLAMA", "http://nosuchhost.invalid:11434"));
        Assert.Equal("unknownhost", unknownHost.GetProperty("discovery").GetProperty("failure").GetString());
        Assert.Contains(unknownHost.GetProperty("hints").EnumerateArray(), h => h.GetString()!.Contains("nosuchhost.invalid does not " +
            "resolve") && h.GetString()!.Contains("WSL 2") && h.GetString()!.Contains("http://host.docker.internal:11434"));

        // The Docker host name outside a container (this test machine): where it does resolve, nothing listens on it here.
        var dockerHost = await VerifyAsync(await ConnectionAsync("OLLAMA", "http://host.docker.internal:11434"));
        Assert.Contains(dockerHost.GetProperty("hints").EnumerateArray(), h => h.GetString()!.StartsWith("Windows with Docker Desktop"));

        static string? Snake(string? s) => s == "invalidhost" ? "invalid_host" : s;
    }

    [Theory]
    [InlineData("http://localhost:9", "Nothing is listening at")]
    [InlineData("/fault/require_key", "The server wants an API key (401)")]
    [InlineData("/fault/bad_host", "Trusted Hosts")]
    [InlineData("http://nosuchhost.invalid:11434", "does not resolve")]
    public async Task A_races_error_comes_with_the_hint_verify_runtime_gives_for_it(string where, string hint)
    {
        var id = await ConnectionAsync("OPENAI_COMPAT", where.StartsWith('/') ? Sim(where) : where);
        using (var noRetries = await _client.Http.PutAsJsonAsync($"/api/connections/{id}", new { name = "garage", type = "OPENAI_COMPAT",
            base_url = where.StartsWith('/') ? Sim(where) : where, max_retries = 0 })) noRetries.EnsureSuccessStatusCode();
        var car = (await _client.PostAsync("/api/cars", new { name = $"hinted {where}", connection_id = id, model = "echo" }))
            .GetProperty("id").GetString()!;
        var suite = await _client.SuiteAsync("Hinted", ("Ask", "hello", null));

        var error = (await _client.ReadStreamAsync(await _client.StartRunAsync(suite, car))).Single(e => e.Type == "item.error");
        var verify = await VerifyAsync(id);

        Assert.Contains(hint, error.Data.GetProperty("hint").GetString());
        Assert.Equal(verify.GetProperty("hints")[0].GetString(), error.Data.GetProperty("hint").GetString());
        Assert.NotEqual(error.Data.GetProperty("hint").GetString(), error.Data.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_car_is_edited_with_every_parameter_and_a_bad_stop_list_is_named()
    {
        var connection = await ConnectionAsync("OPENAI_COMPAT", Sim());
        var id = (await _client.PostAsync("/api/cars", new { name = "Editable", connection_id = connection, model = "echo" }))
            .GetProperty("id").GetString()!;
        var all = new { temperature = 0.2, top_p = 0.8, max_tokens = 32, seed = 5, stop = new[] { "END" }, repeat_penalty = 1.1 };

        using (var saved = await _client.Http.PutAsJsonAsync($"/api/cars/{id}", new { name = "Edited", connection_id = connection,
            model = "echo?itl_ms=1", @params = all })) saved.EnsureSuccessStatusCode();
        var car = await _client.GetAsync($"/api/cars/{id}");
        Assert.Equal("Edited", car.GetProperty("name").GetString());
        Assert.Equal(JsonSerializer.Serialize(all), car.GetProperty("params").GetRawText());

        foreach (var stop in new object[] { 5, Enumerable.Range(0, 17).Select(i => $"s{i}").ToArray(), new[] { "" } })
        {
            using var bad = await _client.Http.PutAsJsonAsync($"/api/cars/{id}", new { name = "Edited", connection_id = connection,
                model = "echo", @params = new { stop } });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("params.stop", await bad.Content.ReadAsStringAsync());
        }
        Assert.Equal("echo?itl_ms=1", (await _client.GetAsync($"/api/cars/{id}")).GetProperty("model").GetString());
    }

    [Fact]
    public async Task An_env_var_key_is_read_at_call_time_and_reported_as_such()
    {
        var id = (await _client.PostAsync("/api/connections", new { name = "legacy", type = "OPENAI_COMPAT", base_url = Sim(),
            api_key_env_var = "LLAMACPP_API_KEY" })).GetProperty("id").GetString()!;

        var verify = await VerifyAsync(id);

        Assert.Equal("env_var", verify.GetProperty("auth_source").GetString());
        Assert.False(verify.GetProperty("auth_present").GetBoolean());
    }

    [Fact]
    public async Task A_saved_key_is_never_returned_and_never_stored_in_plaintext()
    {
        const string key = "sk-live-PLAINTEXT-must-never-leak-42424242";
        using var created = await _client.Http.PostAsJsonAsync("/api/connections", new { name = "secret", type = "OPENAI_COMPAT",
            base_url = Sim("/fault/require_key"), api_key = key });
        var createdText = await created.Content.ReadAsStringAsync();
        var id = JsonDocument.Parse(createdText).RootElement.GetProperty("id").GetString()!;
        var car = (await _client.PostAsync("/api/cars", new { name = "secret car", connection_id = id,
            model = "echo?ttft_ms=1&fault=require_key" })).GetProperty("id").GetString()!;
        var suite = await _client.SuiteAsync("Secret race", ("Echo", "keys stay secret", null));
        var run = await _client.StartRunAsync(suite, car);
        var events = await _client.ReadStreamAsync(run);
        Assert.Equal("passed", (await _client.GetAsync($"/api/runs/{run}/items"))[0].GetProperty("status").GetString()); // the key was sent

        var responses = new List<string> { createdText, string.Join('\n', events.Select(e => e.Json.GetRawText())) };
        foreach (var path in new[] { "/api/connections", $"/api/connections/{id}", $"/api/runs/{run}", $"/api/runs/{run}/items" })
            responses.Add(await _client.Http.GetStringAsync(path));
        responses.Add(await (await _client.Http.PostAsync($"/api/connections/{id}/verify", null)).Content.ReadAsStringAsync());
        foreach (var format in new[] { "json", "csv", "junit" })
            responses.Add(await _client.Http.GetStringAsync($"/api/runs/{run}/export?format={format}"));
        Assert.All(responses, r => Assert.DoesNotContain(key, r));
        var view = JsonDocument.Parse(await _client.Http.GetStringAsync($"/api/connections/{id}")).RootElement;
        Assert.True(view.GetProperty("api_key_set").GetBoolean());
        Assert.Equal("…4242", view.GetProperty("api_key_hint").GetString());

        Assert.NotEmpty(fixture.App.ApiLogs);
        Assert.DoesNotContain(fixture.App.ApiLogs, line => line.Contains(key));
        foreach (var file in Directory.EnumerateFiles(fixture.App.DataDir))
        {
            var bytes = await ReadSharedAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(key)) < 0, $"{Path.GetFileName(file)} holds the key in plaintext");
        }
    }

    [Fact]
    public async Task Keys_saved_on_every_connection_type_never_show_up_after_races_errors_exports_and_judging()
    {
        string[] types = ["OLLAMA", "OPENAI_COMPAT", "LLAMACPP_OPENAI", "OPENAI", "ANTHROPIC", "OPENROUTER", "SIMULATOR"];
        var keys = types.ToDictionary(t => t, t => $"sk-{t.ToLowerInvariant()}-SECRET-{Guid.NewGuid():N}");
        var cars = new List<string>();
        foreach (var type in types)
        {
            var connection = (await _client.PostAsync("/api/connections", new { name = $"keyed {type}", type, base_url = Sim(),
                api_key = keys[type] })).GetProperty("id").GetString()!;
            // One car needs its key (and gets it), one fails with a server error that echoes nothing secret.
            cars.Add((await _client.PostAsync("/api/cars", new { name = $"keyed {type}", connection_id = connection,
                model = "echo?ttft_ms=1&itl_ms=1&fault=require_key" })).GetProperty("id").GetString()!);
            cars.Add((await _client.PostAsync("/api/cars", new { name = $"failing {type}", connection_id = connection,
                model = "echo?fault=status:500" })).GetProperty("id").GetString()!);
            await _client.PostAsync($"/api/connections/{connection}/verify", new { });
        }
        var suite = await _client.SuiteAsync("Every key", ("Echo", "keys stay secret everywhere", "Is discreet."));
        var run = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = cars,
            settings = new { concurrency = 8 } })).GetProperty("id").GetString()!;
        var events = await _client.ReadStreamAsync(run);
        var items = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray().ToList();
        Assert.Equal(types.Length, items.Count(i => i.GetProperty("status").GetString() == "passed")); // every key reached its server
        Assert.Equal(types.Length, items.Count(i => i.GetProperty("status").GetString() == "error"));
        var judge = cars[0];
        (await _client.Http.PostAsJsonAsync($"/api/runs/{run}/judge", new { judge_car_id = judge })).EnsureSuccessStatusCode();
        await _client.ReadStreamAsync(run, events[^1].Seq);

        var seen = new List<string> { string.Join('\n', events.Select(e => e.Json.GetRawText())) };
        foreach (var path in new[] { "/api/connections", "/api/cars", $"/api/runs/{run}", $"/api/runs/{run}/items",
            $"/api/runs/{run}/scorecard", $"/api/runs/{run}/stream",
            $"/api/runs/{run}/export?format=json", $"/api/runs/{run}/export?format=csv", $"/api/runs/{run}/export?format=junit",
                $"/api/compare?run_ids={run}" })
            seen.Add(await _client.Http.GetStringAsync(path));
        seen.AddRange(fixture.App.ApiLogs);
        foreach (var file in Directory.EnumerateFiles(fixture.App.DataDir))
            seen.Add(System.Text.Encoding.Latin1.GetString(await ReadSharedAsync(file)));
        foreach (var key in keys.Values)
            Assert.DoesNotContain(seen, text => text.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Meta_lists_every_connection_type_and_check_the_api_accepts()
    {
        var meta = await _client.GetAsync("/api/meta");

        var types = meta.GetProperty("connection_types").EnumerateArray().Select(t => t.GetProperty("type").GetString()!).ToList();
        Assert.Equal(["OLLAMA", "OPENAI_COMPAT", "LLAMACPP_OPENAI", "OPENAI", "ANTHROPIC", "OPENROUTER", "SIMULATOR"], types);
        foreach (var type in types) await ConnectionAsync(type, Sim()); // each is accepted
        var checks = meta.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("keyword").GetString()!,
            c => c.GetProperty("argument").GetString());
        Assert.Equal(16, checks.Count);
        Assert.Equal("number", checks["max_words"]);
        Assert.Equal("none", checks["is_json"]);
        // Every keyword listed is one a suite may use.
        var constraints = string.Join('\n', checks.Select(c => c.Value switch
        {
            "none" => c.Key, "number" => $"{c.Key}:5", "regex" => $"{c.Key}:^a", "json_schema" => $"{c.Key}:{{\"type\":\"object\"}}",
                _ => $"{c.Key}:x",
        }));
        var suite = await _client.GetAsync($"/api/suites/{await _client.SuiteAsync("Every check", ("All", "x", constraints))}");
        Assert.Equal(16, suite.GetProperty("tests")[0].GetProperty("checks").GetArrayLength());
    }

    [Fact]
    public async Task Bad_connection_input_is_refused_naming_each_field()
    {
        using var response = await _client.Http.PostAsJsonAsync("/api/connections", new { name = "", type = "CARRIER_PIGEON",
            base_url = "ftp://x", timeout_s = 0, api_key_env_var = "1BAD" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        foreach (var field in new[] { "name", "type", "base_url", "timeout_s", "api_key_env_var" })
            Assert.True(errors.TryGetProperty(field, out _), $"{field} is named");
    }

    [Fact]
    public async Task Deleting_a_connection_while_a_car_is_added_to_it_is_a_conflict_never_a_500()
    {
        var outcomes = new List<(HttpStatusCode Delete, HttpStatusCode Car)>();
        for (var i = 0; i < 60; i++)
        {
            var id = await ConnectionAsync("OPENAI_COMPAT", Sim());
            var delete = _client.Http.DeleteAsync($"/api/connections/{id}");
            var car = _client.Http.PostAsJsonAsync("/api/cars", new { name = "racing the delete", connection_id = id, model = "m" });
            using var deleted = await delete;
            using var created = await car;
            outcomes.Add((deleted.StatusCode, created.StatusCode));
        }

        Assert.All(outcomes, o => Assert.True(
            o.Delete is HttpStatusCode.NoContent or HttpStatusCode.Conflict
                && o.Car is HttpStatusCode.Created or HttpStatusCode.BadRequest or HttpStatusCode.Conflict,
            $"delete {(int)o.Delete}, car {(int)o.Car}"));
        // Never both: a car on a connection that is gone.
        Assert.DoesNotContain(outcomes, o => o.Delete == HttpStatusCode.NoContent && o.Car == HttpStatusCode.Created);
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
