using LLMRace.Grains.Contracts;
using LLMRace.Grains.Limits;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>The services a run needs, bundled so a grain can make its executor.</summary>
public sealed class RaceEngine(
    RunStore runs,
    GarageStore garage,
    RunPlanner planner,
    EventStore events,
    IRunEventPublisher publisher,
    ConnectionLimiter limiter,
    SecretProtector secrets,
    IHttpClientFactory httpClients,
    RaceLimits limits,
    ApiKeyEnvVars envVars,
    ConnectionTypeRegistry connectionTypes,
    TimeProvider time,
    RaceTopology topology,
    ILoggerFactory loggers)
{
    public const string ProviderHttpClient = "providers";

    public RunStore Runs => runs;
    public GarageStore Garage => garage;
    public RunPlanner Planner => planner;
    public EventStore Events => events;
    public IRunEventPublisher Publisher => publisher;
    public ConnectionLimiter Limiter => limiter;
    public SecretProtector Secrets => secrets;
    public RaceLimits Limits => limits;
    public ApiKeyEnvVars EnvVars => envVars;
    public ConnectionTypeRegistry ConnectionTypes => connectionTypes;
    public TimeProvider Time => time;
    public RaceTopology Topology => topology;
    public HttpClient CreateProviderClient() => httpClients.CreateClient(ProviderHttpClient);

    /// <summary>The one way a provider stream is sent and read, for races and the judge alike.</summary>
    public ProviderStreamClient CreateStreamClient() => new(CreateProviderClient(), limits, time);

    /// <summary>Where and how to reach a stored connection now: its base URL and its key, read at call time.</summary>
    public ProviderTarget TargetOf(ConnectionRow row) =>
        new(row.Type, row.BaseUrl, ApiKeyResolver.Resolve(row, secrets, envVars).Key) { BasicCredentials = ApiKeyResolver.Credentials(row,
            secrets) };

    /// <summary>
    /// The connection as a run snapshot has it, with the base URL and key it has now (the Simulator's address
    /// moves between starts; a key may have been re-saved).
    /// </summary>
    public async Task<ProviderTarget> TargetOfAsync(ConnectionSnapshot connection) =>
        await garage.GetConnectionAsync(connection.Id) is { } row
            ? TargetOf(row) with { Type = connection.Type }
            : new ProviderTarget(connection.Type, connection.BaseUrl, null);
    public ILogger CreateLogger<T>() => loggers.CreateLogger<T>();
}
