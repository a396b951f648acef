namespace LLMRace.Simulator.Protocols;

/// <summary>One wire protocol's way of writing an answer, streamed or whole.</summary>
public interface IProtocolWriter
{
    string StreamContentType { get; }

    /// <summary>The content chunks the plan streams as (a protocol may send a tool call whole).</summary>
    IReadOnlyList<string> Chunks(SimPlan plan) => plan.Tokens;

    Task StartAsync(HttpContext http, SimPlan plan);

    Task ChunkAsync(HttpContext http, SimPlan plan, int index, string chunk);

    Task EndAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour);

    /// <summary>Bytes that do not parse, as a broken server sends them.</summary>
    Task MalformedAsync(HttpContext http);

    Task WholeAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour);

    Task ErrorAsync(HttpContext http, int status, string message, string type);
}

public static class Wire
{
    public static async Task WriteAsync(HttpContext http, string text)
    {
        await http.Response.WriteAsync(text, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
}
