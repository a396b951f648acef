using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LLMRace.Tests.Integration;

/// <summary>Generated malformed and adversarial input against every write endpoint: never a 5xx, never half-stored.</summary>
[Collection(RaceAppCollection.Name)]
public sealed class HostileInputTests(RaceAppFixture fixture)
{
    private readonly RaceClient _client = new(fixture.App.Api);

    private static JsonObject ValidSuite(int n) => new()
    {
        ["name"] = $"Fuzz {n}", ["category"] = "fuzz", ["description"] = "generated",
        ["tests"] = new JsonArray(new JsonObject
        {
            ["order_index"] = 1, ["name"] = "t", ["system_prompt"] = null, ["user_prompt"] = "hello",
            ["expected_constraints"] = "contains:hello", ["tools_schema_json"] = null,
        }),
    };

    /// <summary>One mutation of a valid suite, chosen by the seeded random; deterministic for a given seed.</summary>
    private static byte[] Mutate(Random random, int n)
    {
        var suite = ValidSuite(n);
        var test = suite["tests"]![0]!.AsObject();
        JsonNode Junk() => random.Next(6) switch
        {
            0 => 42, 1 => true, 2 => new JsonArray(1, "x"), 3 => new JsonObject { ["a"] = 1 }, 4 => JsonValue.Create(-0.5), _ => JsonValue.Create(""),
        };
        string[] suiteFields = ["name", "category", "description", "tests"];
        string[] testFields = ["order_index", "name", "system_prompt", "user_prompt", "expected_constraints", "tools_schema_json", "max_tool_turns"];
        switch (random.Next(14))
        {
            case 0: suite[suiteFields[random.Next(suiteFields.Length)]] = Junk(); break;
            case 1: test[testFields[random.Next(testFields.Length)]] = Junk(); break;
            case 2: test["user_prompt"] = new string('x', 100_001 + random.Next(1000)); break;
            case 3: suite["name"] = new string('n', 201 + random.Next(100)); break;
            case 4: suite[$"unknown_{random.Next(100)}"] = 1; break;
            case 5: test["expected_constraints"] = $"regex:{"([{"[random.Next(3)]}{random.Next(10)}"; break;
            case 6: test["expected_constraints"] = "regex:^(a+)+$\nmax_words:many"; break;
            case 7: test["tools_schema_json"] = random.Next(2) == 0 ? "[{\"type\":\"function\",\"function\":{\"name\":\"x y\"}}]" : "{not json"; break;
            case 8:
                var deep = new StringBuilder();
                var depth = 40 + random.Next(200);
                deep.Append("{\"name\":\"deep\",\"tests\":").Append(new string('[', depth)).Append(new string(']', depth)).Append('}');
                return Encoding.UTF8.GetBytes(deep.ToString());
            case 9:
                var bytes = Encoding.UTF8.GetBytes(suite.ToJsonString());
                bytes[random.Next(bytes.Length)] = (byte)(0x80 + random.Next(0x40)); // a stray continuation byte: invalid UTF-8
                return bytes;
            case 10:
                var text = suite.ToJsonString();
                return Encoding.UTF8.GetBytes(text[..random.Next(text.Length)]);            // cut short
            case 11: suite["tests"] = new JsonArray([.. Enumerable.Range(0, 501).Select(i => (JsonNode)new JsonObject { ["name"] = $"t{i}", ["user_prompt"] = "x" })]); break;
            case 12: test["order_index"] = random.Next(2) == 0 ? JsonValue.Create(1.5) : JsonValue.Create(long.MaxValue); break;
            default: return [.. Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256))]; // noise
        }
        return Encoding.UTF8.GetBytes(suite.ToJsonString());
    }

    [Fact]
    public async Task A_thousand_generated_suites_get_no_5xx_and_every_refusal_names_a_path_and_stores_nothing()
    {
        var random = new Random(20261128);
        var before = (await _client.GetAsync("/api/suites")).GetArrayLength();
        var created = 0;
        var refused = 0;
        for (var n = 0; n < 1000; n++)
        {
            var body = Mutate(random, n);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await _client.Http.PostAsync("/api/suites/import", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500, $"input {n} -> {(int)response.StatusCode}: {text}");
            if (response.StatusCode == HttpStatusCode.Created) { created++; continue; }
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
            Assert.All(errors.EnumerateObject(), e => Assert.StartsWith("$", e.Name));
            Assert.NotEmpty(errors.EnumerateObject());
            refused++;
        }
        Assert.Equal(before + created, (await _client.GetAsync("/api/suites")).GetArrayLength());
        Assert.True(refused > 800, $"most generated inputs are bad ones ({refused} refused, {created} accepted)");
    }

    public static TheoryData<string, string> WriteEndpoints => new()
    {
        { "POST", "/api/connections" }, { "PUT", "/api/connections/conn_simulator" },
        { "POST", "/api/cars" }, { "PUT", "/api/cars/car_sprinter" },
        { "POST", "/api/runs" }, { "POST", "/api/suites" },
        { "POST", "/api/runs/{run}/judge" }, { "PUT", "/api/suites/{suite}" },
    };

    [Theory]
    [MemberData(nameof(WriteEndpoints))]
    public async Task Malformed_bodies_to_every_write_endpoint_are_400s_that_change_nothing(string method, string path)
    {
        var run = (await _client.GetAsync("/api/runs?limit=1")).EnumerateArray().Select(r => r.GetProperty("id").GetString()).FirstOrDefault() ?? "run_none";
        path = path.Replace("{run}", run).Replace("{suite}", (await _client.GetAsync("/api/suites"))[0].GetProperty("id").GetString());
        var snapshot = await Snapshot();
        string[] bodies =
        [
            "", "null", "[]", "42", "\"text\"", "{", "{\"name\":", "{\"name\": 5, \"type\": [], \"base_url\": {}}",
            "{\"name\":\"x\",\"connection_id\":{\"$ne\":1},\"model\":null}", "{\"suite_id\":[1],\"car_ids\":\"car_sprinter\"}",
            "{\"judge_car_id\": 7}", "{\"timeout_s\": \"NaN\", \"max_retries\": 1e99}", new string('{', 5000), "\u0000\u0001\u0002",
        ];
        foreach (var body in bodies)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await _client.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} with '{body[..Math.Min(body.Length, 40)]}' -> {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(snapshot, await Snapshot());
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused_without_being_read_whole()
    {
        // With Expect: 100-continue the server answers from the declared length, before any of the body is sent.
        using var huge = new ByteArrayContent(new byte[11 * 1024 * 1024]);
        huge.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/connections") { Content = huge };
        request.Headers.ExpectContinue = true;
        using var response = await _client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        using var bigSuite = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 6 * 1024 * 1024) + "\"}"));
        bigSuite.Headers.ContentType = new("application/json");
        using var suite = await _client.Http.PostAsync("/api/suites", bigSuite);
        Assert.Equal(HttpStatusCode.BadRequest, suite.StatusCode);
        Assert.Contains("larger than 5 MiB", await suite.Content.ReadAsStringAsync());
    }

    private async Task<string> Snapshot() => string.Join("\n",
        await _client.Http.GetStringAsync("/api/connections"), await _client.Http.GetStringAsync("/api/cars"),
        await _client.Http.GetStringAsync("/api/suites"), (await _client.GetAsync("/api/runs?limit=500")).GetArrayLength());
}
