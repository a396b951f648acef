using System.Globalization;

namespace LLMRace.Simulator;

/// <summary>
/// What a simulated model does, chosen by its name: a preset optionally followed by parameters,
/// e.g. `echo?ttft_ms=200&amp;itl_ms=10` or `sprinter?tokens=64&amp;fault=disconnect_after:5`.
/// </summary>
public sealed record SimBehaviour(string Preset, int TtftMs, int ItlMs, int? Tokens, SimFault? Fault)
{
    /// <summary>For `caller`: the tool to call instead of the first one offered (it need not exist).</summary>
    public string? CallTool { get; init; }

    /// <summary>A scripted answer, streamed word by word instead of the preset's text.</summary>
    public string? Reply { get; init; }

    /// <summary>A gate (see <see cref="SimGates"/>) the answer waits for before anything of it is sent.</summary>
    public string? Gate { get; init; }

    public static readonly IReadOnlyDictionary<string, SimBehaviour> Presets = new Dictionary<string, SimBehaviour>
    {
        ["sprinter"] = new("sprinter", 40, 6, 48, null),
        ["cruiser"] = new("cruiser", 300, 35, 48, null),
        ["echo"] = new("echo", 30, 8, null, null),
        ["instant"] = new("instant", 0, 0, 32, null),
        // Calls the first tool it is offered; once the conversation holds the tool's result, answers with it.
        ["caller"] = new("caller", 40, 6, 24, null),
    };

    public bool Echo => Preset == "echo";

    /// <summary>Parses a model name; returns an error in plain words for an unknown preset or a bad parameter.</summary>
    public static SimBehaviour Parse(string model, out string? error)
    {
        error = null;
        var q = model.IndexOf('?');
        var name = (q < 0 ? model : model[..q]).Trim();
        if (!Presets.TryGetValue(name, out var behaviour))
        {
            error = $"unknown simulator model '{name}': use one of {string.Join(", ", Presets.Keys)}";
            return Presets["sprinter"];
        }
        if (q < 0) return behaviour;

        foreach (var pair in model[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key)
            {
                case "ttft_ms" when TryInt(value, out var ttft): behaviour = behaviour with { TtftMs = ttft }; break;
                case "itl_ms" when TryInt(value, out var itl): behaviour = behaviour with { ItlMs = itl }; break;
                case "tokens" when TryInt(value, out var tokens): behaviour = behaviour with { Tokens = tokens }; break;
                case "fault" when SimFault.TryParse(value, out var fault): behaviour = behaviour with { Fault = fault }; break;
                case "call" when value.Length is > 0 and <= 64: behaviour = behaviour with { CallTool = value }; break;
                case "reply" when value.Length <= 100_000: behaviour = behaviour with { Reply = value }; break;
                case "gate" when value.Length is > 0 and <= 64: behaviour = behaviour with { Gate = value }; break;
                case "seed": break;
                default:
                    error = $"bad simulator parameter '{pair}': expected ttft_ms, itl_ms, tokens (whole numbers >= 0), fault, call, " +
                        $"reply or gate";
                    return behaviour;
            }
        }
        return behaviour;
    }

    private static bool TryInt(string s, out int value) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= 600_000;
}

/// <summary>
/// An injected failure: status:&lt;code&gt;, disconnect_after:&lt;n&gt;, malformed_after:&lt;n&gt;, hang (headers, then
/// nothing), stall_headers (not even headers), require_key, bad_host.
/// </summary>
public sealed record SimFault(string Kind, int Argument)
{
    public static bool TryParse(string text, out SimFault? fault)
    {
        var colon = text.IndexOf(':');
        var kind = colon < 0 ? text : text[..colon];
        var arg = 0;
        var hasArg = colon >= 0 && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out arg);
        fault = kind switch
        {
            "status" when hasArg && arg is >= 400 and <= 599 => new SimFault(kind, arg),
            "disconnect_after" or "malformed_after" when hasArg => new SimFault(kind, arg),
            "hang" or "stall_headers" or "require_key" or "bad_host" when colon < 0 => new SimFault(kind, 0),
            _ => null,
        };
        return fault is not null;
    }
}
