using LLMRace.Grains.Contracts;

var builder = DistributedApplication.CreateBuilder(args);

// Where the SQLite database lives; tests point this at a folder of their own.
var dataDir = builder.Configuration["LLMRACE_DATA_DIR"] ?? Path.Combine(builder.AppHostDirectory, "..", "data");
var uiDir = Path.Combine(builder.AppHostDirectory, "..", "LLMRace.Ui");

var orleans = builder.AddOrleans("race")
    .WithDevelopmentClustering()
    .WithMemoryStreaming(OrleansNames.RunStreams)
    .WithMemoryGrainStorage(OrleansNames.PubSubStore);

// Not proxied: the Api reaches the Simulator directly, so no proxy sits inside the streams it times. Its port is the
// launch profile's (8100) unless LLMRACE_SIM_PORT says otherwise, as tests running several apps at once do.
var simPort = int.TryParse(builder.Configuration["LLMRACE_SIM_PORT"], out var port) ? port : (int?)null;
var sim = builder.AddProject<Projects.LLMRace_Simulator>("sim")
    .WithEndpoint("http", endpoint =>
    {
        endpoint.IsProxied = false;
        if (simPort is { } chosen) (endpoint.Port, endpoint.TargetPort) = (chosen, chosen);
    })
    .WithHttpHealthCheck("/health");

var api = builder.AddProject<Projects.LLMRace_Api>("api")
    .WithReference(orleans)
    .WithReference(sim)
    .WaitFor(sim)
    .WithEnvironment("LLMRACE_DB_PATH", Path.GetFullPath(Path.Combine(dataDir, "llmrace.db")))
    // A chunk read off a provider's socket is timed where it lands, not after a wait in the thread pool's queue
    // (bench: ITL error p99 0.8 -> 0.2 ms at 1 stream, 1.5 -> 0.7 ms at 16).
    .WithEnvironment("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1")
    .WithHttpHealthCheck("/health");

var uiInstall = builder.AddExecutable("ui-install", "npm", uiDir, "install", "--no-audit", "--no-fund");

builder.AddExecutable("ui", "npm", uiDir, "run", "dev")
    .WithHttpEndpoint(port: 3000, env: "PORT", isProxied: false)
    .WithHttpHealthCheck("/")
    .WithEnvironment("LLMRACE_API_URL", api.GetEndpoint("http"))
    .WaitForCompletion(uiInstall)
    .WaitFor(api);

builder.Build().Run();
