using LLMRace.Grains.Contracts;

namespace LLMRace.Grains.Engine;

/// <summary>Publishes persisted events to live subscribers.</summary>
public interface IRunEventPublisher
{
    Task PublishAsync(string runId, RunEventBatch batch);
}

/// <summary>Publishes on the run's Orleans stream, the backplane every Api instance subscribes to.</summary>
public sealed class OrleansRunEventPublisher(IClusterClient client) : IRunEventPublisher
{
    public Task PublishAsync(string runId, RunEventBatch batch) =>
        client.GetStreamProvider(RunStreams.ProviderName)
            .GetStream<RunEventBatch>(StreamId.Create(RunStreams.Namespace, runId))
            .OnNextAsync(batch);
}
