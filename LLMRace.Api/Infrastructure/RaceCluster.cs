using System.Net;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using Orleans.Configuration;
using StackExchange.Redis;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Several silos as one Orleans cluster, found through Redis (as in the dotnet/aspire-samples Orleans voting sample):
/// membership, the reminders and the streams' subscriptions live there, the runs and their logs in the shared
/// PostgreSQL store. Redis rather than ADO.NET clustering on that PostgreSQL: Aspire's Orleans integration wires a
/// Redis resource as clustering with no code of ours, and ADO.NET needs Orleans' own SQL schema applied and kept in
/// step with Orleans' versions beside LLMRace's.
/// </summary>
public static class RaceCluster
{
    public const string ClusterId = "llmrace";

    /// <summary>Whether this silo is one of a cluster (ours, or one Aspire configured with a real provider).</summary>
    public static RaceTopology TopologyOf(IConfiguration configuration, RaceSettings settings) => new(
        settings.ClusterConnectionString is not null
        || configuration["Orleans:Clustering:ProviderType"] is { Length: > 0 } provider
            && !string.Equals(provider, "Development", StringComparison.OrdinalIgnoreCase));

    public static ISiloBuilder UseRaceCluster(this ISiloBuilder silo, RaceSettings settings)
    {
        var redis = ConfigurationOptions.Parse(settings.ClusterConnectionString!);
        silo.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ClusterId; });
        silo.UseRedisClustering(o => o.ConfigurationOptions = redis);
        silo.UseRedisReminderService(o => o.ConfigurationOptions = redis);
        silo.AddRedisGrainStorage(OrleansNames.PubSubStore, o => o.ConfigurationOptions = redis);
        silo.AddMemoryStreams(RunStreams.ProviderName);
        // A racing run's reminder ticks every couple of seconds (Orleans' floor is a minute). How soon a silent silo is
        // declared dead stays Orleans' own (3 missed probes of 5 s): probing every 2 s had busy silos of a loaded 2-core
        // machine declared dead while alive (bench, 3 silos).
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = RaceTopology.TakeoverCheck);
        silo.Configure<EndpointOptions>(endpoints =>
        {
            endpoints.SiloPort = settings.SiloPort;
            if (settings.SiloAddress is { } address)
            {
                endpoints.AdvertisedIPAddress = IPAddress.Parse(address);
                endpoints.SiloListeningEndpoint = new IPEndPoint(endpoints.AdvertisedIPAddress, settings.SiloPort);
            }
            // The Api's own client is in its silo: no client gateway to open.
            endpoints.GatewayPort = 0;
            endpoints.GatewayListeningEndpoint = null;
        });
        return silo;
    }
}
