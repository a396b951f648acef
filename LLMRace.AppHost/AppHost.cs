using LLMRace.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Not proxied: the Api reaches the Simulator directly, so no proxy sits inside the streams it times. Its port is the
// launch profile's (8100) unless LLMRACE_SIM_PORT says otherwise, as tests running several apps at once do.
IResourceBuilder<ProjectResource>? AddSimulator()
{
    var simPort = int.TryParse(builder.Configuration["LLMRACE_SIM_PORT"], out var port) ? port : (int?)null;
    return builder.AddProject<Projects.LLMRace_Simulator>("sim")
        .WithEndpoint("http", endpoint =>
        {
            endpoint.IsProxied = false;
            if (simPort is { } chosen) (endpoint.Port, endpoint.TargetPort) = (chosen, chosen);
        })
        .WithHttpHealthCheck("/health");
}

var api = builder.AddProject<Projects.LLMRace_Api>("api")
    .WithHttpHealthCheck("/health");

// Where the SQLite database (or a local cluster's PostgreSQL) lives; tests point this at a folder of their own.
var dataDir = builder.Configuration["LLMRACE_DATA_DIR"] ?? Path.Combine(builder.AppHostDirectory, "..", "data");
var silos = int.TryParse(builder.Configuration["LLMRACE_SILOS"], out var count) ? Math.Clamp(count, 1, 16) : 1;
if (builder.ExecutionContext.IsPublishMode)
    Deployment.Describe(builder, api, AddSimulator);
else if (silos == 1)
    Development.Describe(builder, api, AddSimulator()!, dataDir);
else
    LocalCluster.Describe(builder, api, AddSimulator()!, silos, dataDir);
if (!builder.ExecutionContext.IsPublishMode) Development.AddUi(builder, api);

builder.Build().Run();
