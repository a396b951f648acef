namespace LLMRace.Tests.Integration;

/// <summary>
/// One Simulator process for every in-process Api of this test run. It keeps no state between requests that a test
/// reads (each request's truth is kept under its own id), so apps racing side by side can share it.
/// </summary>
public static class SharedSimulator
{
    private static readonly Lazy<Task<StandaloneApi>> Process = new(StartAsync);

    public static async Task<Uri> AddressAsync() => (await Process.Value).Address;

    private static async Task<StandaloneApi> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("llmrace-sim-").FullName;
        var assembly = StandaloneApi.BuiltAssembly.Replace("LLMRace.Api", "LLMRace.Simulator");
        var sim = await StandaloneApi.StartAsync(folder, new Dictionary<string, string>(), assembly);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            sim.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        };
        return sim;
    }
}
