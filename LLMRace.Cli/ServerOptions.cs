using System.CommandLine;

namespace LLMRace.Cli;

/// <summary>
/// Where a command races: against a running LLMRace (<c>--server URL</c>, with <c>--token</c>), or embedded in this
/// process (the default) on the database in <c>--data</c>.
/// </summary>
public sealed class ServerOptions
{
    private readonly Option<string?> _server = new("--server")
    {
        Description = "A running LLMRace to use (e.g. http://127.0.0.1:8000); or LLMRACE_SERVER. Without it, LLMRace runs " +
            "embedded in this process",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LLMRACE_SERVER"),
    };

    private readonly Option<string?> _token = new("--token")
    {
        Description = "The server's access token (LLMRACE_ACCESS_TOKEN on the server); or LLMRACE_TOKEN",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LLMRACE_TOKEN"),
    };

    private readonly Option<string?> _data = new("--data")
    {
        Description = $"Embedded only: the folder of its database (default ./.llmrace); or {EmbeddedRace.DataVariable}",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EmbeddedRace.DataVariable),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_server);
        command.Options.Add(_token);
        command.Options.Add(_data);
    }

    /// <summary>The LLMRace to talk to; dispose it when done (an embedded one stops then).</summary>
    public async Task<Connected> ConnectAsync(ParseResult parse, HttpMessageHandler? handler)
    {
        var server = parse.GetValue(_server);
        if (!string.IsNullOrWhiteSpace(server))
        {
            if (!Uri.TryCreate(server, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new CliException(ExitCodes.BadInput, "--server needs the http(s) URL of a running LLMRace (or LLMRACE_SERVER)");
            return new Connected(new RaceServer(url, parse.GetValue(_token), handler), null);
        }
        var embedded = await EmbeddedRace.StartAsync(parse.GetValue(_data) is { Length: > 0 } data ? Path.GetFullPath(data)
            : EmbeddedRace.DefaultDataDir);
        return new Connected(new RaceServer(embedded.Address, null), embedded);
    }

    public sealed class Connected(RaceServer api, EmbeddedRace? embedded) : IAsyncDisposable
    {
        public RaceServer Api => api;

        public bool Embedded => embedded is not null;

        public async ValueTask DisposeAsync()
        {
            api.Dispose();
            if (embedded is not null) await embedded.DisposeAsync();
        }
    }
}
