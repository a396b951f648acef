namespace LLMRace.Tests.Integration;

/// <summary>The LLMRACE_* settings are read once, at start: one that is out of range or of the wrong kind stops the start, named.</summary>
public sealed class SettingsTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("llmrace-settings-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("LLMRACE_MAX_OUTPUT_CHARS", "10", "LLMRACE_MAX_OUTPUT_CHARS must be from 1000 to 100000000")]
    [InlineData("LLMRACE_CHECKS_BUDGET_MS", "0", "LLMRACE_CHECKS_BUDGET_MS must be from 10 to 600000")]
    [InlineData("LLMRACE_MAX_STREAM_LINE_KIB", "many", "LLMRACE_MAX_STREAM_LINE_KIB")]
    [InlineData("LLMRACE_ALLOW_ANONYMOUS", "yes please", "LLMRACE_ALLOW_ANONYMOUS")]
    [InlineData("ConnectionStrings__llmrace-db", "Host=127.0.0.1;Port=5432;Database=llmrace",
        "LLMRACE_SECRET_KEY must be set when the store is PostgreSQL")]
    public async Task A_bad_setting_stops_the_start_naming_it(string name, string value, string said)
    {
        var refused = await Assert.ThrowsAsync<StandaloneApiExited>(() => StandaloneApi.StartAsync(_dataDir, new Dictionary<string,
            string> { [name] = value }));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("LLMRace cannot start", refused.Output);
        Assert.Contains(said, refused.Output);
        Assert.False(File.Exists(Path.Combine(_dataDir, "llmrace.db")), "nothing was opened");
    }

    [Fact]
    public async Task A_postgresql_store_that_cannot_be_reached_stops_the_start_saying_where_without_the_password()
    {
        var port = TestPorts.Next();
        var refused = await Assert.ThrowsAsync<StandaloneApiExited>(() => StandaloneApi.StartAsync(_dataDir, new Dictionary<string,
            string>
        {
            ["ConnectionStrings__llmrace-db"] = $"Host=127.0.0.1;Port={port};Database=llmrace;Username=u;Password=hunter2-secret",
            ["LLMRACE_SECRET_KEY"] = "k",
        }));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"cannot open the database at 'postgresql://127.0.0.1:{port}/llmrace'", refused.Output);
        Assert.DoesNotContain("hunter2-secret", refused.Output);
    }

    [Fact]
    public async Task Good_settings_are_taken()
    {
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>
        {
            ["LLMRACE_MAX_OUTPUT_CHARS"] = "5000", ["LLMRACE_CHECKS_BUDGET_MS"] = "200", ["LLMRACE_ALLOW_ANONYMOUS"] = "false",
        });
        using var http = new HttpClient { BaseAddress = api.Address };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/api/health")).StatusCode);
    }
}
