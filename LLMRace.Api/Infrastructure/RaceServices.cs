using LLMRace.Api.Live;
using LLMRace.Api.Seed;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Limits;
using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;
using System.Net;
using Orleans.Configuration;

namespace LLMRace.Api.Infrastructure;

public static class RaceServices
{
    /// <summary>The database, stores, race engine and live feed.</summary>
    public static WebApplicationBuilder AddRaceServices(this WebApplicationBuilder builder, RaceSettings settings)
    {
        var databasePath = settings.DbPath;
        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        if (settings.SharedStoreConnectionString is null)
        {
            services.AddSingleton<Database>(sp => new SqliteDatabase(databasePath, sp.GetRequiredService<TimeProvider>()));
            services.AddHostedService(sp => new WalCheckpointer((SqliteDatabase)sp.GetRequiredService<Database>(),
                sp.GetRequiredService<ILogger<WalCheckpointer>>()));
        }
        else
        {
            // Aspire's client: a pooled data source with its health check, traces and metrics on the dashboard.
            builder.AddNpgsqlDataSource(RaceSettings.SharedStoreName, configureDataSourceBuilder: PostgresDatabase.Configure);
            services.AddSingleton<Database>(sp => new PostgresDatabase(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(),
                sp.GetRequiredService<TimeProvider>()));
        }
        services.AddSingleton<GarageStore>();
        services.AddSingleton<SuiteStore>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<RunPlanner>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<MetaStore>();
        services.AddSingleton<RunRecovery>();
        services.AddSingleton<Seeder>();
        services.AddSingleton(sp => SecretProtector.Create(
            settings.SecretKey, databasePath, sp.GetRequiredService<ILoggerFactory>().CreateLogger("LLMRace.Secrets")));
        services.AddSingleton(settings.Limits);
        services.AddSingleton(new ApiKeyEnvVars(settings.ApiKeyEnvVars));
        services.AddBuiltInConnectionTypes();
        services.AddSingleton<ConnectionTypeRegistry>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<IRunEventPublisher, OrleansRunEventPublisher>();
        services.AddSingleton(RaceCluster.TopologyOf(builder.Configuration, settings));
        services.AddSingleton<RaceEngine>();
        services.AddSingleton<RunFeed>();
        services.AddHostedService<ProviderWarmUp>();
        services.AddSingleton<RunEventReader>();

        // Provider streams: no resilience handler and no client timeout; the engine times and retries them itself. Nor the
        // factory's logging: four Information lines and a log scope per request (8,000 lines a second in a load test at 2,000
        // requests/s); the engine logs what goes wrong itself. Nor service discovery (the defaults give every client): a
        // connection's base URL is the user's address, never a name for configuration to resolve, and its key goes there only.
        services.AddHttpClient(RaceEngine.ProviderHttpClient, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear())
            .ConfigurePrimaryHttpMessageHandler(() => ProviderHttpHandler.Create(settings.KernelStamps));
        return builder;
    }

    /// <summary>
    /// The Orleans silo, co-hosted. Under the AppHost its configuration comes from Aspire; run alone it is a local silo.
    /// A single silo (development or localhost clustering) talks to no other machine: it listens on loopback only,
    /// and its client gateway is off, since the Api's own client is in the silo and Orleans' ports are unauthenticated.
    /// </summary>
    public static WebApplicationBuilder AddRaceSilo(this WebApplicationBuilder builder, RaceSettings settings)
    {
        var provider = builder.Configuration["Orleans:Clustering:ProviderType"];
        var configuredByAspire = !string.IsNullOrEmpty(provider);
        var clustered = !configuredByAspire && settings.ClusterConnectionString is not null;
        builder.UseOrleans(silo =>
        {
            if (configuredByAspire) return;
            if (clustered)
            {
                silo.UseRaceCluster(settings);
                return;
            }
            silo.UseLocalhostClustering(siloPort: settings.SiloPort);
            silo.AddMemoryStreams(RunStreams.ProviderName);
            silo.AddMemoryGrainStorage(OrleansNames.PubSubStore);
        });
        if (!clustered && (!configuredByAspire || string.Equals(provider, "Development", StringComparison.OrdinalIgnoreCase)))
            builder.Services.PostConfigure<EndpointOptions>(endpoints =>
            {
                endpoints.AdvertisedIPAddress = IPAddress.Loopback;
                endpoints.SiloListeningEndpoint = new IPEndPoint(IPAddress.Loopback, endpoints.SiloPort);
                endpoints.GatewayPort = 0;
                endpoints.GatewayListeningEndpoint = null;
            });
        builder.Services.TuneRunStreams(RaceCluster.TopologyOf(builder.Configuration, settings).Clustered);
        return builder;
    }

    /// <summary>
    /// The run streams' defaults suit durable queues, not a live race: each of 8 queues is polled every 100 ms (up to
    /// 100 ms of lag per event) and delivered events stay cached for at least 5 minutes (the whole race's text in memory).
    /// One queue polled every 10 ms costs an idle Api about 3 % of a core more than the defaults (measured: 56 against
    /// 27 ms of CPU per second). Readers never rewind the stream (a gap is read from the event log), so a short cache
    /// loses nothing.
    /// </summary>
    private static void TuneRunStreams(this IServiceCollection services, bool clustered)
    {
        services.Configure<StreamPullingAgentOptions>(RunStreams.ProviderName,
            o => o.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(10));
        // In a cluster, one queue would be one grain on one silo that every silo's runs publish to and one agent delivers
        // from; eight spread over the silos (Orleans' default count).
        services.Configure<HashRingStreamQueueMapperOptions>(RunStreams.ProviderName, o => o.TotalQueueCount = clustered ? 8 : 1);
        services.Configure<StreamCacheEvictionOptions>(RunStreams.ProviderName, o =>
        {
            o.DataMinTimeInCache = TimeSpan.FromSeconds(10);
            o.DataMaxAgeInCache = TimeSpan.FromSeconds(60);
            o.MetadataMinTimeInCache = TimeSpan.FromSeconds(20);
        });
    }

    /// <summary>Opens the database (migrations), closes runs a previous process left running, seeds the examples.</summary>
    public static async Task InitializeRaceDataAsync(this WebApplication app)
    {
        var db = app.Services.GetRequiredService<Database>();
        await db.InitializeAsync();
        var secrets = app.Services.GetRequiredService<SecretProtector>();
        if (await LegacyCredentials.SealAsync(app.Services.GetRequiredService<GarageStore>(), secrets) is > 0 and var sealedCount)
            app.Logger.LogInformation("Moved the credentials out of {Count} connection base URL(s); they are kept encrypted", sealedCount);
        // A lone silo that starts knows no run is being raced: what the store says is running was cut off. In a cluster
        // another silo may be racing it.
        if (!app.Services.GetRequiredService<RaceTopology>().Clustered)
            await app.Services.GetRequiredService<RunRecovery>().MarkInterruptedAsync();
        await app.Services.GetRequiredService<Seeder>().SeedAsync();
        app.Logger.LogInformation("Database ready ({Engine}) at {Location}", db.Engine, db.Location);
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is "1" or "true"
            && (db is PostgresDatabase || app.Services.GetRequiredService<RaceTopology>().Clustered))
            app.Logger.LogWarning("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS is on with a shared store or a cluster: a database read " +
                "continued on the socket engine's thread can stall every connection of this process for the length of a command " +
                "timeout. Set it to 0 (the AppHost does) or leave it unset; it is for a lone Api on SQLite");
    }
}
