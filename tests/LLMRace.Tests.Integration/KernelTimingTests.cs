using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>
/// Provider streams timed by the kernel's receive stamps: a race on the Simulator says, per item, that its times are the
/// kernel's, and with the stamps turned off that they are user space's; both measure the same stream the same way.
/// </summary>
public sealed class KernelTimingTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Every_item_of_a_race_on_the_simulator_is_timed_by_the_kernel_and_by_user_space_when_stamps_are_off()
    {
        var client = new RaceClient(fixture.App.Api);
        var suite = await client.SuiteAsync("Kernel clock", ("Count", string.Join(' ', Enumerable.Range(1, 30).Select(i => $"k{i}")), null),
            ("Short", "one two", null));
        var car = await client.CarAsync("Kernel car", "echo?ttft_ms=40&itl_ms=15");
        var run = await client.RaceToEndAsync(suite, car);
        var items = (await client.GetAsync($"/api/runs/{run}/items")).EnumerateArray().ToList();
        Assert.All(items, i => Assert.Equal("kernel", i.GetProperty("metrics").GetProperty("timing_source").GetString()));
        var ttft = items.Select(i => i.GetProperty("metrics").GetProperty("ttft_ms").GetDouble()).ToList();
        // The Simulator waits 40 ms before the first chunk: no clock can see it sooner.
        Assert.All(ttft, t => Assert.True(t >= 40, $"TTFT {t} ms"));
        // With 15 ms between chunks every gap is observed (none came in one read with the chunk before).
        var count = items.Single(i => i.GetProperty("test_name").GetString() == "Count").GetProperty("metrics");
        Assert.Equal(count.GetProperty("content_chunks").GetInt32() - 1 - count.GetProperty("coalesced_chunks").GetInt32(),
            count.GetProperty("itl_ms").GetArrayLength());

        await using var userSpace = await InProcessApi.StartAsync(Directory.CreateTempSubdirectory("llmrace-api-").FullName,
            new Dictionary<string, string> { ["LLMRACE_KERNEL_STAMPS"] = "false" });
        var other = new RaceClient(userSpace.Api);
        var plainRun = await other.RaceToEndAsync(await other.SuiteAsync("User clock", ("Count", "a b c d e", null)),
            await other.CarAsync("User car", "echo?ttft_ms=5&itl_ms=5"));
        var plain = (await other.GetAsync($"/api/runs/{plainRun}/items"))[0].GetProperty("metrics");
        Assert.Equal("user", plain.GetProperty("timing_source").GetString());
        Assert.Equal(0, plain.GetProperty("coalesced_chunks").GetInt32());
    }
}
