namespace LLMRace.Grains.Contracts;

/// <summary>
/// The Orleans provider names the silo and the AppHost must agree on. This file is compiled into the AppHost too
/// (linked, not referenced: the AppHost takes no dependency on the engine).
/// </summary>
public static class OrleansNames
{
    /// <summary>The memory stream provider that carries each run's events to every silo's readers.</summary>
    public const string RunStreams = "RaceStreams";

    /// <summary>The grain storage Orleans' stream pub-sub keeps its subscriptions in.</summary>
    public const string PubSubStore = "PubSubStore";
}
