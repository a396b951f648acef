using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LLMRace.Tests.Integration;

/// <summary>
/// A stand-in OTLP/HTTP collector on a free loopback port that keeps every payload it is sent. Kestrel, so that a slow
/// or aborted export is one failed request, never a stalled collector, and the port is the system's to choose.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _payloads = new();
    private readonly Channel<bool> _arrivals = Channel.CreateUnbounded<bool>();

    private OtlpCollector(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Every payload received so far, oldest first.</summary>
    public IReadOnlyList<(string Path, byte[] Body)> Payloads => _payloads.ToList();

    public static async Task<OtlpCollector> StartAsync()
    {
        OtlpCollector? collector = null;
        var (app, address) = await LoopbackServer.StartAsync(app => app.MapPost("/{**signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            collector!._payloads.Enqueue((request.Path.Value!, body.ToArray()));
            collector._arrivals.Writer.TryWrite(true);
            return Results.Ok();
        }));
        collector = new OtlpCollector(app) { Address = address };
        return collector;
    }

    /// <summary>
    /// Waits until a payload posted to <paramref name="path"/> holds <paramref name="text"/> (UTF-8, as OTLP protobuf
    /// carries strings); on timeout, fails naming what did come.
    /// </summary>
    public async Task WaitForAsync(string path, string text, TimeSpan timeout)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var deadline = new CancellationTokenSource(timeout);
        while (!_payloads.Any(p => p.Path == path && p.Body.AsSpan().IndexOf(bytes) >= 0))
        {
            try { await _arrivals.Reader.ReadAsync(deadline.Token); }
            catch (OperationCanceledException)
            {
                var received = _payloads.GroupBy(p => p.Path).Select(g => $"{g.Key} ×{g.Count()}");
                throw new TimeoutException($"within {timeout.TotalSeconds} s nothing posted to {path} held \"{text}\"; received: " +
                    $"{string.Join(", ", received)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
