using LLMRace.Grains.Contracts;

namespace LLMRace.AppHost;

/// <summary>
/// `dotnet run`: one silo on the embedded SQLite store and the Simulator (and, for every run mode, the UI from Vite's
/// development server), with nothing to install but .NET and Node.
/// </summary>
public static class Development
{
    public static void Describe(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ProjectResource> sim, string dataDir)
    {
        var orleans = builder.AddOrleans("race")
            .WithDevelopmentClustering()
            .WithMemoryStreaming(OrleansNames.RunStreams)
            .WithMemoryGrainStorage(OrleansNames.PubSubStore);

        api.WithReference(orleans)
            .WithReference(sim)
            .WaitFor(sim)
            .WithEnvironment("LLMRACE_DB_PATH", Path.GetFullPath(Path.Combine(dataDir, "llmrace.db")))
            .WithEnvironment(InlineSocketCompletions.Variable, "1");
    }

    /// <summary>The UI from Vite's development server on :3000, its /api and /hubs sent to the (first) Api.</summary>
    public static void AddUi(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api)
    {
        var uiDir = Path.Combine(builder.AppHostDirectory, "..", "LLMRace.Ui");
        var uiInstall = builder.AddExecutable("ui-install", "npm", uiDir, "install", "--no-audit", "--no-fund");
        builder.AddExecutable("ui", "npm", uiDir, "run", "dev")
            .WithHttpEndpoint(port: 3000, env: "PORT", isProxied: false)
            .WithHttpHealthCheck("/")
            .WithEnvironment("LLMRACE_API_URL", api.GetEndpoint("http"))
            .WaitForCompletion(uiInstall)
            .WaitFor(api);
    }
}
