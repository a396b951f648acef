using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>The services a run needs, bundled so a grain can make its executor.</summary>
public sealed class RaceEngine(
    RunStore runs,
    GarageStore garage,
    EventStore events,
    IRunEventPublisher publisher,
    ConnectionLimiter limiter,
    SecretProtector secrets,
    IHttpClientFactory httpClients,
    ActiveRuns active,
    ILoggerFactory loggers)
{
    public const string ProviderHttpClient = "providers";

    public RunStore Runs => runs;
    public GarageStore Garage => garage;
    public EventStore Events => events;
    public IRunEventPublisher Publisher => publisher;
    public ConnectionLimiter Limiter => limiter;
    public SecretProtector Secrets => secrets;
    public ActiveRuns Active => active;
    public HttpClient CreateProviderClient() => httpClients.CreateClient(ProviderHttpClient);
    public ILogger CreateLogger<T>() => loggers.CreateLogger<T>();
}
