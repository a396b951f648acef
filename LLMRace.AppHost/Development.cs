using LLMRace.Grains.Contracts;

namespace LLMRace.AppHost;

/// <summary>
/// `dotnet run`: one silo on the embedded SQLite store, the Simulator, and the UI from Vite's development server, with
/// nothing to install but .NET and Node.
/// </summary>
public static class Development
{
    public static void Describe(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ProjectResource> sim)
    {
        // Where the SQLite database lives; tests point this at a folder of their own.
        var dataDir = builder.Configuration["LLMRACE_DATA_DIR"] ?? Path.Combine(builder.AppHostDirectory, "..", "data");
        var uiDir = Path.Combine(builder.AppHostDirectory, "..", "LLMRace.Ui");

        var orleans = builder.AddOrleans("race")
            .WithDevelopmentClustering()
            .WithMemoryStreaming(OrleansNames.RunStreams)
            .WithMemoryGrainStorage(OrleansNames.PubSubStore);

        api.WithReference(orleans)
            .WithReference(sim)
            .WaitFor(sim)
            .WithEnvironment("LLMRACE_DB_PATH", Path.GetFullPath(Path.Combine(dataDir, "llmrace.db")));

        var uiInstall = builder.AddExecutable("ui-install", "npm", uiDir, "install", "--no-audit", "--no-fund");
        builder.AddExecutable("ui", "npm", uiDir, "run", "dev")
            .WithHttpEndpoint(port: 3000, env: "PORT", isProxied: false)
            .WithHttpHealthCheck("/")
            .WithEnvironment("LLMRACE_API_URL", api.GetEndpoint("http"))
            .WaitForCompletion(uiInstall)
            .WaitFor(api);
    }
}
