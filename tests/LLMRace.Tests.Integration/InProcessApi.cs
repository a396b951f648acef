extern alias api;

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace LLMRace.Tests.Integration;

/// <summary>
/// The Api (with its Orleans silo) hosted in this test process on real Kestrel sockets, on a database folder of its
/// own, racing the shared Simulator: the real request pipeline and engine without an AppHost, so test classes each
/// get one and run side by side.
/// </summary>
public sealed class InProcessApi : IAsyncDisposable
{
    private readonly Factory _factory;
    private readonly ConcurrentQueue<string> _logs = new();

    private InProcessApi(string dataDir, Uri simulator, IReadOnlyDictionary<string, string> settings)
    {
        DataDir = dataDir;
        SimBase = simulator;
        _factory = new Factory(this, settings);
    }

    public string DataDir { get; }

    /// <summary>The setting that makes a PostgreSQL database the store.</summary>
    public const string SharedStoreSetting = "ConnectionStrings:llmrace-db";

    public Uri SimBase { get; }

    public HttpClient Api { get; private set; } = null!;

    /// <summary>The Api's services (its Orleans cluster client among them).</summary>
    public IServiceProvider Services => _factory.Services;

    public Uri ApiBase => Api.BaseAddress!;

    /// <summary>Everything the Api has logged so far, at every level, with exceptions and scopes.</summary>
    public IReadOnlyCollection<string> ApiLogs => _logs;

    public static async Task<InProcessApi> StartAsync(string dataDir, IReadOnlyDictionary<string, string>? settings = null)
    {
        var api = new InProcessApi(dataDir, await SharedSimulator.AddressAsync(), settings ?? new Dictionary<string, string>());
        // StartServer runs the Api's Main up to its own StartAsync (migrations and seeding included) on this thread.
        await Task.Run(api._factory.StartServer);
        var address = api._factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        // The settings reach the Api through its configuration: a database anywhere else would make tests read the wrong files.
        if (!api._factory.OnSharedStore && !File.Exists(Path.Combine(dataDir,
            "llmrace.db"))) throw new InvalidOperationException($"the in-process Api did not open its database in {dataDir}");
        api.Api = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        await _factory.DisposeAsync();
    }

    private sealed class Factory : WebApplicationFactory<api::Program>
    {
        private readonly InProcessApi _owner;
        private readonly IReadOnlyDictionary<string, string> _settings;

        public bool OnSharedStore => _settings.ContainsKey(SharedStoreSetting);

        public Factory(InProcessApi owner, IReadOnlyDictionary<string, string> settings)
        {
            _owner = owner;
            _settings = settings;
            UseKestrel();
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("LLMRACE_DB_PATH", Path.Combine(_owner.DataDir, "llmrace.db"));
            builder.UseSetting("LLMRACE_SIMULATOR_URL", _owner.SimBase.ToString());
            builder.UseSetting("LLMRACE_SILO_PORT", TestPorts.Next().ToString());
            foreach (var (key, value) in _settings) builder.UseSetting(key, value);
            builder.ConfigureLogging(logging =>
            {
                logging.SetMinimumLevel(LogLevel.Trace);
                // Tests read every level from the collector; the console would print it all into CI's log.
                logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning);
                logging.AddProvider(new CollectingLoggerProvider(_owner._logs));
            });
        }
    }
}

/// <summary>A fresh in-process Api on a fresh PostgreSQL server (its binaries on this machine) for one test class.</summary>
public sealed class PostgresApiFixture : IAsyncLifetime
{
    public InProcessApi App { get; private set; } = null!;
    private Stores.LocalPostgres _postgres = null!;

    public async Task InitializeAsync()
    {
        _postgres = await Stores.LocalPostgres.StartAsync(TestPorts.Next());
        App = await InProcessApi.StartAsync(Directory.CreateTempSubdirectory("llmrace-api-").FullName, new Dictionary<string, string>
        {
            [InProcessApi.SharedStoreSetting] = await _postgres.CreateDatabaseAsync("llmrace"),
            ["LLMRACE_SECRET_KEY"] = "a test key shared by the silos of this store",
        });
        if (!App.ApiLogs.Any(line => line.Contains("Database ready (postgresql)")))
            throw new InvalidOperationException("the Api did not open PostgreSQL: " + string.Join('\n', App.ApiLogs.Take(20)));
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await _postgres.DisposeAsync();
        try { Directory.Delete(App.DataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A fresh in-process Api for one test class.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public InProcessApi App { get; private set; } = null!;

    public async Task InitializeAsync() => App = await InProcessApi.StartAsync(Directory.CreateTempSubdirectory("llmrace-api-").FullName);

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        try { Directory.Delete(App.DataDir, recursive: true); } catch (IOException) { }
    }
}
