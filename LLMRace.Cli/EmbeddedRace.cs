using System.Net;
using System.Net.Sockets;
using LLMRace.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace LLMRace.Cli;

/// <summary>
/// LLMRace in this process: the Api with its silo on a loopback port only this process uses, on a SQLite file of its own,
/// so a CI job needs nothing but the tool. The CLI then talks to it over HTTP exactly as to a running server.
/// </summary>
public sealed class EmbeddedRace : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmbeddedRace(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public const string DataVariable = "LLMRACE_DATA";

    /// <summary>Where the embedded engine keeps its database when neither <c>--data</c> nor LLMRACE_DATA says.</summary>
    public static string DefaultDataDir => Path.Combine(Environment.CurrentDirectory, ".llmrace");

    public static async Task<EmbeddedRace> StartAsync(string dataDir)
    {
        try
        {
            Directory.CreateDirectory(dataDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.BadInput, $"cannot use {dataDir} for the embedded database: {e.Message}");
        }
        var app = await RaceApp.StartAsync([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration["LLMRACE_DB_PATH"] = Path.Combine(dataDir, "llmrace.db");
            builder.Configuration["LLMRACE_SILO_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            // The CLI's output is its own: the engine's log goes to stderr, warnings and worse only.
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning);
            builder.Logging.AddFilter<ConsoleLoggerProvider>("Orleans", LogLevel.Error);
            // Embedded, a key file beside the database is the design, and there is no UI to serve: neither is worth a warning.
            builder.Logging.AddFilter<ConsoleLoggerProvider>("LLMRace.Secrets", LogLevel.Error);
            builder.Logging.AddFilter<ConsoleLoggerProvider>("Microsoft.AspNetCore.StaticFiles", LogLevel.Error);
        }) ?? throw new CliException(ExitCodes.Errors, "the embedded LLMRace could not start (its reason is above)");
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EmbeddedRace(app, new Uri(address));
    }

    /// <summary>A port no one listens on now, for the silo (which needs a fixed one).</summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
