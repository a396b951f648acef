using LLMRace.Grains.Providers;

namespace LLMRace.Grains.Engine;

/// <summary>
/// What a <see cref="ProviderStreamClient"/> tells its caller as one request goes, each with the monotonic timestamp
/// of the moment it happened: the caller measures, records and emits; the client only sends and reads.
/// </summary>
public interface IStreamObserver
{
    /// <summary>The request is about to go out. A retried attempt starts again from here.</summary>
    void Sending(long timestamp);

    /// <summary>
    /// The request's last byte left (t0 of the measurement): the kernel's transmit stamp where the connection gives one, else
    /// when the last send call began (<paramref name="kernel"/> false). Not called where the connection cannot tell (t0 then
    /// stays at <see cref="Sending"/>).
    /// </summary>
    void Sent(long timestamp, bool kernel);

    /// <summary>The response headers arrived (TTFB), whatever the status.</summary>
    void Headers(long timestamp, HttpResponseMessage response);

    /// <summary>A part of the stream, in wire order, with when it arrived; throwing here ends the stream with that error.</summary>
    void Part(StreamPart part, Timing.ChunkTime time);

    /// <summary>A failure before the first content is retried after <paramref name="delay"/>.</summary>
    void Retrying(int attempt, TimeSpan delay, Exception? reason);
}
