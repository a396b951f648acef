using LLMRace.Grains.Providers;

namespace LLMRace.Grains.Engine;

/// <summary>
/// What a <see cref="ProviderStreamClient"/> tells its caller as one request goes, each with the monotonic timestamp
/// of the moment it happened: the caller measures, records and emits; the client only sends and reads.
/// </summary>
public interface IStreamObserver
{
    /// <summary>The request is about to go out (t0). A retried attempt starts again from here.</summary>
    void Sending(long timestamp);

    /// <summary>The response headers arrived (TTFB), whatever the status.</summary>
    void Headers(long timestamp, HttpResponseMessage response);

    /// <summary>A part of the stream, in wire order, with when it arrived; throwing here ends the stream with that error.</summary>
    void Part(StreamPart part, Timing.ChunkTime time);

    /// <summary>A failure before the first content is retried after <paramref name="delay"/>.</summary>
    void Retrying(int attempt, TimeSpan delay, Exception? reason);
}
