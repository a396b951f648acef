namespace LLMRace.AppHost;

/// <summary>
/// `LLMRACE_SILOS=3 dotnet run --project LLMRace.AppHost`: a cluster on this machine with nothing but its own packages.
/// PostgreSQL and Redis run from the machine's binaries (Debian's postgresql and redis-server) on loopback, their data in
/// the data folder; the Apis (api, api-2, …) each a silo on a port of its own, all on the dashboard with their traces.
/// </summary>
public static class LocalCluster
{
    public static void Describe(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ProjectResource> sim, int silos, string dataDir)
    {
        var postgresPort = Port(builder, "LLMRACE_LOCAL_POSTGRES_PORT", 55432);
        var redisPort = Port(builder, "LLMRACE_LOCAL_REDIS_PORT", 56379);
        var postgres = builder.AddExecutable("postgres", "bash", builder.AppHostDirectory, Path.Combine("Local", "postgres.sh"),
                Path.GetFullPath(Path.Combine(dataDir, "postgres")), postgresPort.ToString())
            .WithEndpoint(port: postgresPort, targetPort: postgresPort, scheme: "tcp", name: "tcp", isProxied: false);
        var redis = builder.AddExecutable("redis", "redis-server", builder.AppHostDirectory, "--port", redisPort.ToString(), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no")
            .WithEndpoint(port: redisPort, targetPort: redisPort, scheme: "tcp", name: "tcp", isProxied: false);
        var store = $"Host=127.0.0.1;Port={postgresPort};Username=llmrace;Database=postgres";
        var cluster = $"127.0.0.1:{redisPort}";
        // Not a secret worth the name: it only has to be the same for every silo of this machine's cluster.
        var secretKey = builder.Configuration["LLMRACE_SECRET_KEY"] ?? "llmrace-local-cluster";

        var siloPort = Port(builder, "LLMRACE_LOCAL_SILO_PORT", 11111);
        var apis = new List<IResourceBuilder<ProjectResource>> { api };
        // Not the launch profile (its port 8000 is the first Api's): a port of their own, as Development would have them.
        for (var i = 2; i <= silos; i++) apis.Add(builder.AddProject<Projects.LLMRace_Api>($"api-{i}", launchProfileName: null)
            .WithHttpEndpoint()
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
            .WithHttpHealthCheck("/health"));
        for (var i = 0; i < apis.Count; i++)
            apis[i].WithReference(sim).WaitFor(sim)
                .WaitFor(postgres).WaitFor(redis)
                .WithEnvironment("ConnectionStrings__llmrace-db", store)
                .WithEnvironment("ConnectionStrings__llmrace-redis", cluster)
                .WithEnvironment("LLMRACE_SECRET_KEY", secretKey)
                .WithEnvironment("LLMRACE_SILO_ADDRESS", "127.0.0.1")
                .WithEnvironment(InlineSocketCompletions.Variable, "0")
                .WithEnvironment("LLMRACE_SILO_PORT", (siloPort + i).ToString());
        // The first silo creates the schema and seeds the examples; the others start once it is up.
        foreach (var other in apis.Skip(1)) other.WaitFor(api);
    }

    private static int Port(IDistributedApplicationBuilder builder, string setting, int fallback) =>
        int.TryParse(builder.Configuration[setting], out var port) ? port : fallback;
}
