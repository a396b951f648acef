namespace LLMRace.AppHost;

/// <summary>
/// What `azd deploy` (or any publisher) gets: the Api as containers whose replicas form one Orleans cluster through
/// Redis, on a PostgreSQL store (how many replicas is the deployment's scale setting: the manifest has no field for it); the built UI served by the Api itself; secrets as secret parameters; the
/// Simulator only when asked for. Nothing here names a path of the machine that publishes it.
/// </summary>
public static class Deployment
{
    /// <summary>The port the silos talk to each other on, inside the deployment's network only.</summary>
    public const int SiloPort = 11111;

    public static void Describe(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api,
        Func<IResourceBuilder<ProjectResource>?> addSimulator)
    {
        // A named volume: the same on every machine that deploys, so a redeploy from another finds the data.
        var store = builder.AddPostgres("postgres").WithDataVolume("llmrace-postgres-data").AddDatabase("llmrace-db");
        var cluster = builder.AddRedis("llmrace-redis");
        var secretKey = builder.AddParameter("llmrace-secret-key", secret: true);
        var accessToken = builder.AddParameter("llmrace-access-token", secret: true);

        api.WithReference(store).WaitFor(store)
            .WithReference(cluster).WaitFor(cluster)
            .WithEnvironment("LLMRACE_SECRET_KEY", secretKey)
            .WithEnvironment("LLMRACE_ACCESS_TOKEN", accessToken)
            .WithEnvironment("LLMRACE_SILO_PORT", SiloPort.ToString())
            .WithEnvironment(InlineSocketCompletions.Variable, "0")
            .WithEndpoint("silo", e => { e.Port = SiloPort; e.TargetPort = SiloPort; e.UriScheme = "tcp"; e.Transport = "tcp";
                e.IsExternal = false; e.IsProxied = false; })
            .WithExternalHttpEndpoints();

        // The Simulator is for trying LLMRace without a model server: deployed only when asked (llmrace-simulator=true).
        if (string.Equals(builder.Configuration["Parameters:llmrace-simulator"], "true", StringComparison.OrdinalIgnoreCase)
            && addSimulator() is { } sim)
            api.WithReference(sim).WaitFor(sim);
    }
}
