using Aspire.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LLMRace.Tests.Integration;

/// <summary>
/// The real AppHost (Api with its Orleans silo, and the Simulator) on a database folder of its own.
/// The UI resources are left out: these tests talk HTTP, SSE and SignalR to the Api.
/// Start and stop have time limits, since DistributedApplication.DisposeAsync can hang (microsoft/aspire#7139).
/// </summary>
public sealed class RaceApp : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);

    private DistributedApplication? _app;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _apiLogs = new();
    private CancellationTokenSource? _logWatch;

    /// <summary>Everything the Api has logged so far (console lines, as the dashboard shows them).</summary>
    public IReadOnlyCollection<string> ApiLogs => _apiLogs;

    private readonly bool _withUi;

    private readonly string[] _args;

    /// <param name="args">More AppHost settings (NAME=value), such as LLMRACE_SILOS=3.</param>
    public RaceApp(string dataDir, bool withUi = false, params string[] args)
    {
        DataDir = dataDir;
        _withUi = withUi;
        _args = args;
    }

    /// <summary>A client of another of the app's resources (api-2 of a local cluster, say), once it is healthy.</summary>
    public async Task<HttpClient> ClientOfAsync(string resource)
    {
        using var cts = new CancellationTokenSource(StartLimit);
        await _app!.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
        var client = _app.CreateHttpClient(resource);
        client.Timeout = TimeSpan.FromMinutes(2);
        return client;
    }

    /// <summary>The UI dev server's address, when the app runs with its UI.</summary>
    public Uri? UiBase { get; private set; }

    public string DataDir { get; }

    public HttpClient Api { get; private set; } = null!;

    public Uri ApiBase => Api.BaseAddress!;

    /// <summary>The Simulator's address, for connections that point at it (with a fault in the path, say).</summary>
    public Uri SimBase { get; private set; } = null!;

    public async Task StartAsync()
    {
        using var cts = new CancellationTokenSource(StartLimit);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LLMRace_AppHost>(
            // A port of its own for the Simulator (not proxied, so not randomised by the testing builder): apps of
            // test classes running side by side would otherwise all take the launch profile's 8100.
            [$"LLMRACE_DATA_DIR={DataDir}", $"LLMRACE_SIM_PORT={TestPorts.Next()}", .. _args],
            (options, _) => options.DisableDashboard = true,
            cts.Token);
        if (!_withUi)
            foreach (var ui in builder.Resources.Where(r => r.Name is "ui" or "ui-install").ToList()) builder.Resources.Remove(ui);
        // The AppHost's appsettings let info lines through (the resources' own console lines among them, relayed under
        // "<AppHost>.Resources.<name>"): on the console they would bury a failure in CI's log.
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            .AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning));

        _app = await builder.BuildAsync(cts.Token);
        await _app.StartAsync(cts.Token);
        var api = await _app.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
        _logWatch = new CancellationTokenSource();
        // Logs are kept by the running replica's id (api-xxxx), not by the resource's name.
        _ = WatchLogsAsync(_app.Services.GetRequiredService<ResourceLoggerService>(), api.ResourceId, _logWatch.Token);
        Api = _app.CreateHttpClient("api");
        SimBase = _app.GetEndpoint("sim", "http");
        if (_withUi)
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("ui", cts.Token);
            // Vite listens on 127.0.0.1 only; "localhost" may resolve elsewhere first.
            UiBase = new UriBuilder(_app.GetEndpoint("ui", "http")) { Host = "127.0.0.1" }.Uri;
        }
        Api.Timeout = TimeSpan.FromMinutes(2);
    }

    private async Task WatchLogsAsync(ResourceLoggerService logs, string resourceId, CancellationToken ct)
    {
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(ct))
                foreach (var line in batch) _apiLogs.Enqueue(line.Content);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StopAsync()
    {
        _logWatch?.Cancel();
        if (_app is null) return;
        var app = _app;
        _app = null;
        Api.Dispose();
        try
        {
            await app.StopAsync().WaitAsync(StopLimit);
            await app.DisposeAsync().AsTask().WaitAsync(StopLimit);
        }
        catch (TimeoutException)
        {
            // A hung stop must not hang the test run; the processes end with the test host.
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
