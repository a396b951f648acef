using System.Diagnostics;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Limits;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Timing;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Sends one streaming request to a model server and reads it to its end: the one path races, the judge and (next)
/// load tests share. Timeouts: to the response headers, to the first content (per attempt, and the longest quiet
/// spell mid-stream), and whatever ends <c>ct</c> (a total limit, a cancel). A failure before the first content is
/// retried (Polly.Core, honouring Retry-After), never one after it: a retry would restart the clock mid-measurement.
/// A status that is not success is a <see cref="ProviderHttpException"/> (a redirect is never followed: a key must not
/// follow one), and what the server sends is read only within <see cref="RaceLimits"/>.
/// </summary>
public sealed class ProviderStreamClient(HttpClient http, RaceLimits limits, TimeProvider time)
{
    private static readonly string[] RequestIdHeaders = ["x-request-id", "request-id", "x-sim-request-id"];

    /// <summary>The server's id for the request, from the response headers, when it gives one.</summary>
    public static string? RequestId(HttpResponseMessage response)
    {
        foreach (var name in RequestIdHeaders)
            if (response.Headers.TryGetValues(name, out var ids)) return ids.FirstOrDefault();
        return null;
    }

    public async Task StreamAsync(
        IChatProvider provider, ProviderTarget target, ChatRequest request, ConnectionSnapshot connection, IStreamObserver observer,
            CancellationToken ct)
    {
        var idleTimeout = connection.FirstTokenTimeout;
        // The kernel's stamps of the connection this request is written to (when it stamps), whichever flow reads it.
        var stamps = SocketStamps.Current = new SocketStamps();
        var clock = new PartClock(stamps);
        var pipeline = ProviderPipeline.Build(connection, idleTimeout, observer.Retrying);
        await using var stream = await pipeline.ExecuteAsync(
            async attempt => await OpenAsync(provider, target, request, connection, observer, clock, ct, attempt), ct);

        var reading = stream.Reading;
        reading.CancelAfter(idleTimeout);
        if (stream.First is { } first) observer.Part(first, stream.FirstTime);
        while (true)
        {
            bool more;
            try
            {
                more = await stream.Parts.MoveNextAsync();
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no data from the server for {idleTimeout.TotalSeconds:0.#} s mid-stream");
            }
            if (!more) break;
            reading.CancelAfter(idleTimeout);
            observer.Part(stream.Parts.Current, clock.Now(stream.Parts.Current));
        }
    }

    /// <summary>Sends the request and reads up to the first content part: the span Polly may retry.</summary>
    private async Task<OpenStream> OpenAsync(IChatProvider provider, ProviderTarget target, ChatRequest request,
        ConnectionSnapshot connection,
        IStreamObserver observer, PartClock clock, CancellationToken ct, CancellationToken attempt)
    {
        using var message = provider.BuildStreamingRequest(target, request);
        observer.Sending(Stopwatch.GetTimestamp());
        var sentBefore = clock.SentAt;
        HttpResponseMessage response;
        using (var headers = CancellationTokenSource.CreateLinkedTokenSource(attempt))
        {
            headers.CancelAfter(connection.HeadersTimeout);
            try
            {
                response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, headers.Token);
            }
            catch (OperationCanceledException) when (headers.IsCancellationRequested && !attempt.IsCancellationRequested)
            {
                throw new TimeoutException($"no response headers within {connection.HeadersTimeout.TotalSeconds:0.#} s");
            }
        }
        // Reads of the body are cancelled through this source: by a cancelled run, a quiet server, or (before the
        // first token) the attempt's timeout. A read is never left pending when the stream is disposed.
        var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        IAsyncEnumerator<StreamPart>? parts = null;
        try
        {
            if (clock.SentAt is { } sent && sent != sentBefore) observer.Sent(sent, clock.SentByKernel);
            observer.Headers(clock.Headers(), response);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, attempt);
            var body = new LineLimitedStream(await response.Content.ReadAsStreamAsync(attempt), limits.MaxStreamLineBytes);
            using var attemptTimeout = attempt.Register(reading.Cancel);
            parts = provider.ParseStreamAsync(body, reading.Token).GetAsyncEnumerator(reading.Token);
            while (await parts.MoveNextAsync())
            {
                var now = clock.Now(parts.Current);
                if (parts.Current.IsContent) return new OpenStream(response, reading, parts, parts.Current, now);
                observer.Part(parts.Current, now);
            }
            // A stream that ends without content is a complete (empty) answer, not a failure to retry.
            return new OpenStream(response, reading, parts, null, default);
        }
        catch
        {
            if (parts is not null) await parts.DisposeAsync();
            response.Dispose();
            reading.Dispose();
            throw;
        }
    }

    private async Task<ProviderHttpException> FailureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (status is >= 300 and < 400) return ProviderHttpException.Redirect(response);
        var text = await BoundedBody.ReadPrefixAsync(response.Content, limits.MaxErrorBodyBytes, ct);
        return new ProviderHttpException(status, Excerpt.Of(text), RetryAfter(response));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - time.GetUtcNow();
        return null;
    }

    /// <summary>
    /// Times the send and the parts of one response: the kernel's stamp of the socket read that completed a part when the connection
    /// gives stamps (reading is pull-based, so that read is the last one when the part is parsed), else the moment the
    /// reader has it. Content stamped as one with the content before it (the same read, or the same socket buffer) is
    /// marked coalesced.
    /// </summary>
    private sealed class PartClock(SocketStamps stamps)
    {
        private long _lastContentRead = -1;
        private long _lastContentStamp = -1;

        /// <summary>When the request's last byte written so far left (null where the connection cannot tell).</summary>
        public long? SentAt => stamps.SentAt;

        public bool SentByKernel => stamps.SentByKernel;

        /// <summary>Whether the response's reads are the kernel's: stamped, every one of them.</summary>
        private bool Stamped => stamps.Reads > 0 && stamps.Unstamped == 0;

        /// <summary>When the response headers arrived: the stamp of the read that completed them, when stamped.</summary>
        public long Headers() => Stamped ? stamps.LastStamp : Stopwatch.GetTimestamp();

        public ChunkTime Now(StreamPart part)
        {
            if (!Stamped) return ChunkTime.User(Stopwatch.GetTimestamp());
            var coalesced = false;
            if (part.IsContent)
            {
                // The same read, or another read of the same socket buffer (a read can stop short of its end): the kernel
                // stamped the two chunks' bytes as one.
                coalesced = stamps.Reads == _lastContentRead || stamps.LastStamp == _lastContentStamp;
                _lastContentRead = stamps.Reads;
                _lastContentStamp = stamps.LastStamp;
            }
            return new ChunkTime(stamps.LastStamp, true, coalesced);
        }
    }

    private sealed class OpenStream(
        HttpResponseMessage response, CancellationTokenSource reading, IAsyncEnumerator<StreamPart> parts, StreamPart? first,
            ChunkTime firstTime)
        : IAsyncDisposable
    {
        public CancellationTokenSource Reading => reading;
        public IAsyncEnumerator<StreamPart> Parts => parts;
        public StreamPart? First => first;
        public ChunkTime FirstTime => firstTime;

        public async ValueTask DisposeAsync()
        {
            await parts.DisposeAsync();
            response.Dispose();
            reading.Dispose();
        }
    }
}
