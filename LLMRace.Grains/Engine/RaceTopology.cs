namespace LLMRace.Grains.Engine;

/// <summary>
/// Whether this silo is one of a cluster. A lone silo's runs end interrupted when it stops (a resume races the rest);
/// in a cluster a reminder keeps each racing run, so another silo takes it over when its own is lost or leaves.
/// </summary>
public sealed record RaceTopology(bool Clustered)
{
    /// <summary>How often a racing run's reminder checks that some silo races it: the longest a lost run waits.</summary>
    public static readonly TimeSpan TakeoverCheck = TimeSpan.FromSeconds(2);

    /// <summary>How often the silo racing a run says so in the store.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a run's heartbeat may be silent before another silo takes it over. The fence against a second activation
    /// of the run's grain (Orleans may make one while a busy silo is wrongly suspected): it races nothing while the
    /// first still beats.
    /// </summary>
    public static readonly TimeSpan HeartbeatSilence = TimeSpan.FromSeconds(8);
}
