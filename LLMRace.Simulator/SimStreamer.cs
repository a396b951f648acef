using System.Diagnostics;
using LLMRace.Simulator.Protocols;
using Microsoft.AspNetCore.Http.Features;

namespace LLMRace.Simulator;

/// <summary>Answers one chat request in any protocol: faults first, then the plan paced on its schedule.</summary>
public static class SimStreamer
{
    public static async Task AnswerAsync(HttpContext http, SimRequest request, IProtocolWriter writer, TruthLog truth, SimGates gates,
        long arrived)
    {
        var arrivedUtc = DateTime.UtcNow;
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            await writer.ErrorAsync(http, 400, "'model' is required", "invalid_request_error");
            return;
        }
        var behaviour = SimBehaviour.Parse(request.Model, out var problem);
        if (problem is not null)
        {
            await writer.ErrorAsync(http, 404, problem, "not_found_error");
            return;
        }
        var fault = behaviour.Fault ?? PathFaults.Of(http);
        if (fault?.Kind == "stall_headers") { await Hang(http); return; }
        if (await Faults.RejectAsync(http, fault, writer.ErrorAsync)) return;

        if (behaviour.Gate is { } gate)
        {
            await gates.WaitAsync(gate, http.RequestAborted);
            // The answer's schedule starts when the gate opens, as if the request had arrived then.
            arrived = Now();
        }

        var plan = SimPlan.For(behaviour, request);
        var chunks = writer.Chunks(plan);
        var requestId = $"simreq_{Guid.NewGuid():N}";
        http.Response.Headers["x-sim-request-id"] = requestId;
        var pacer = new ChunkPacer(behaviour, arrived);

        if (!request.Stream)
        {
            if (fault?.Kind == "hang") { await Hang(http); return; }
            for (var i = 0; i < chunks.Count; i++) await pacer.WaitForChunkAsync(i, http.RequestAborted);
            truth.Add(new RequestTruth(requestId, request.Model, arrivedUtc, pacer.WrittenMs));
            await writer.WholeAsync(http, plan, behaviour);
            return;
        }

        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = writer.StreamContentType;
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.Body.FlushAsync(http.RequestAborted);
        if (fault?.Kind == "hang") { await Hang(http); return; }

        try
        {
            await writer.StartAsync(http, plan);
            for (var i = 0; i < chunks.Count; i++)
            {
                await pacer.WaitForChunkAsync(i, http.RequestAborted);
                if (fault is { Kind: "disconnect_after" } && i == fault.Argument)
                {
                    await DisconnectAsync(http);
                    return;
                }
                if (fault is { Kind: "malformed_after" } && i == fault.Argument)
                {
                    await writer.MalformedAsync(http);
                    return;
                }
                await writer.ChunkAsync(http, plan, i, chunks[i]);
                pacer.Written();
            }
            await writer.EndAsync(http, plan, behaviour);
        }
        finally
        {
            truth.Add(new RequestTruth(requestId, request.Model, arrivedUtc, pacer.WrittenMs));
        }
    }

    /// <summary>
    /// Ends the connection the way a crashed server's kernel does: a FIN after every byte already written, so
    /// the client reads all it was sent and then an early end of the body. (An abort would send a reset, and a
    /// reset can make the client drop bytes it had not read yet.)
    /// </summary>
    /// <summary>
    /// Ends the connection mid-body, after every byte written so far has gone out: an exception once the response has
    /// started makes Kestrel close the connection without the body's end, sending what it holds first (FIN, not RST).
    /// Shutting the socket down from here instead could overtake Kestrel's own sending, and the last chunks were lost.
    /// </summary>
    private static async Task DisconnectAsync(HttpContext http)
    {
        await http.Response.Body.FlushAsync();
        throw new SimulatedDisconnect();
    }

    /// <summary>Headers sent (or not), then nothing, until the client gives up.</summary>
    public static Task Hang(HttpContext http) =>
        Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

    public static long Now() => Stopwatch.GetTimestamp();
}

/// <summary>The disconnect fault, thrown mid-body on purpose.</summary>
public sealed class SimulatedDisconnect() : Exception("disconnect_after: the connection is dropped here on purpose");
