using System.Buffers;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using LLMRace.Grains.Contracts;

namespace LLMRace.Api.Live;

/// <summary>
/// A run's events as Server-Sent Events (formatted by <see cref="SseFormatter"/>). Events that are ready together go
/// out in one write: the response is flushed when the reader has to wait for the next event (or 64 KiB are pending),
/// not after every event, so a watcher of a fast race costs a send per batch instead of one per event.
/// </summary>
public sealed class RunEventStreamResult(IAsyncEnumerable<RunEvent> events) : IResult
{
    private const int FlushAt = 64 * 1024;

    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache,no-store";
        http.Response.Headers.Pragma = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var body = http.Response.BodyWriter;
        try
        {
            await body.FlushAsync(http.RequestAborted); // the headers, at once: the client knows the stream is open
            await SseFormatter.WriteAsync(Items(body, http.RequestAborted), new UnflushedStream(body), http.RequestAborted);
            await body.FlushAsync(http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client left; its reader and subscription are disposed with the enumerator.
        }
    }

    private async IAsyncEnumerable<SseItem<string>> Items(PipeWriter body, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var e = events.GetAsyncEnumerator(ct);
        while (true)
        {
            var next = e.MoveNextAsync();
            if (!next.IsCompleted || body.UnflushedBytes >= FlushAt) await body.FlushAsync(ct);
            if (!await next) yield break;
            var current = e.Current;
            yield return new SseItem<string>(current.Json,
                current.Type) { EventId = current.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
    }

    /// <summary>Writes into the response's pipe without flushing it; the item loop above decides when to flush.</summary>
    private sealed class UnflushedStream(PipeWriter writer) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => writer.Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            writer.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush() { }
        public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
