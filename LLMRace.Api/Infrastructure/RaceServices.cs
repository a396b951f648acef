using LLMRace.Api.Live;
using LLMRace.Api.Seed;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;
using Orleans.Configuration;

namespace LLMRace.Api.Infrastructure;

public static class RaceServices
{
    /// <summary>The database, stores, race engine and live feed.</summary>
    public static WebApplicationBuilder AddRaceServices(this WebApplicationBuilder builder)
    {
        var databasePath = builder.Configuration["LLMRACE_DB_PATH"] is { Length: > 0 } path ? path : Path.Combine("data", "llmrace.db");
        var services = builder.Services;
        services.AddSingleton(new SqliteDatabase(databasePath));
        services.AddSingleton<GarageStore>();
        services.AddSingleton<SuiteStore>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<MetaStore>();
        services.AddSingleton<RunRecovery>();
        services.AddSingleton<Seeder>();
        services.AddSingleton(sp => SecretProtector.Create(
            builder.Configuration["LLMRACE_SECRET_KEY"], databasePath, sp.GetRequiredService<ILoggerFactory>().CreateLogger("LLMRace.Secrets")));
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<IRunEventPublisher, OrleansRunEventPublisher>();
        services.AddSingleton<ActiveRuns>();
        // Registered after the silo, so it stops first: running runs close their logs while the silo still serves.
        services.AddHostedService(sp => sp.GetRequiredService<ActiveRuns>());
        services.AddSingleton<RaceEngine>();
        services.AddSingleton<RunFeed>();
        services.AddHostedService<ProviderWarmUp>();
        services.AddHostedService<WalCheckpointer>();
        services.AddSingleton<RunEventReader>();

        // Provider streams: no resilience handler and no client timeout; the engine times and retries them itself.
        services.AddHttpClient(RaceEngine.ProviderHttpClient, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = 1024,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
            });
        return builder;
    }

    /// <summary>The Orleans silo, co-hosted. Under the AppHost its configuration comes from Aspire; run alone it is a local silo.</summary>
    public static WebApplicationBuilder AddRaceSilo(this WebApplicationBuilder builder)
    {
        var configuredByAspire = !string.IsNullOrEmpty(builder.Configuration["Orleans:Clustering:ProviderType"]);
        builder.UseOrleans(silo =>
        {
            if (configuredByAspire) return;
            silo.UseLocalhostClustering(
                siloPort: builder.Configuration.GetValue("LLMRACE_SILO_PORT", 11111),
                gatewayPort: builder.Configuration.GetValue("LLMRACE_GATEWAY_PORT", 30000));
            silo.AddMemoryStreams(RunStreams.ProviderName);
            silo.AddMemoryGrainStorage("PubSubStore");
        });
        builder.Services.TuneRunStreams();
        return builder;
    }

    /// <summary>
    /// The run streams' defaults suit durable queues, not a live race: each of 8 queues is polled every 100 ms (up to
    /// 100 ms of lag per event) and delivered events stay cached for at least 5 minutes (the whole race's text in memory).
    /// One queue polled every 10 ms costs an idle Api about 3 % of a core more than the defaults (measured: 56 against
    /// 27 ms of CPU per second). Readers never rewind the stream (a gap is read from the event log), so a short cache
    /// loses nothing.
    /// </summary>
    private static void TuneRunStreams(this IServiceCollection services)
    {
        services.Configure<StreamPullingAgentOptions>(RunStreams.ProviderName, o => o.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(10));
        services.Configure<HashRingStreamQueueMapperOptions>(RunStreams.ProviderName, o => o.TotalQueueCount = 1);
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
        var db = app.Services.GetRequiredService<SqliteDatabase>();
        await db.InitializeAsync();
        _ = app.Services.GetRequiredService<SecretProtector>();
        await app.Services.GetRequiredService<RunRecovery>().MarkInterruptedAsync();
        await app.Services.GetRequiredService<Seeder>().SeedAsync();
        app.Logger.LogInformation("Database ready at {Path}", db.Path);
    }
}
