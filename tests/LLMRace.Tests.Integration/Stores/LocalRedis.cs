using System.Diagnostics;
using System.Net.Sockets;

namespace LLMRace.Tests.Integration.Stores;

/// <summary>
/// A real Redis server of this machine's own binary (Debian's redis-server package; .ci/run installs it), on loopback
/// and a port of its own, keeping nothing on disk; stopped on dispose.
/// </summary>
public sealed class LocalRedis : IAsyncDisposable
{
    private readonly Process _process;

    private LocalRedis(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<LocalRedis> StartAsync(int port)
    {
        var binary = Environment.GetEnvironmentVariable("LLMRACE_REDIS_SERVER") is { Length: > 0 } configured ? configured
            : "/usr/bin/redis-server";
        if (!File.Exists(binary))
            throw new InvalidOperationException($"redis-server is not at {binary}: apt-get install -y redis-server (as .ci/run does), or set " +
                "LLMRACE_REDIS_SERVER");
        var process = Process.Start(new ProcessStartInfo(binary, ["--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly",
            "no"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Ready when it accepts a connection and answers PING.
        for (var attempt = 0; ; attempt++)
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with {process.ExitCode} at start");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                await using var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var reply = new byte[7];
                if (await stream.ReadAsync(reply) > 0) return new LocalRedis(process, port);
            }
            catch (SocketException) when (attempt < 200)
            {
                await Task.Delay(25);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
