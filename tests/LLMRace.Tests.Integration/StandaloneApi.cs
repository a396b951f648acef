using System.Diagnostics;
using System.Text;

namespace LLMRace.Tests.Integration;

/// <summary>The Api run on its own (as a container would run it), on a port and database of its own.</summary>
public sealed class StandaloneApi : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private StandaloneApi(Process process) => _process = process;

    /// <summary>Where it listens: the port the system gave it, read from its "Now listening on" line.</summary>
    public Uri Address { get; private set; } = null!;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public int ProcessId => _process.Id;

    /// <summary>The Api built beside these tests, in the same configuration.</summary>
    public static string BuiltAssembly =>
        Path.Combine(Repo.Root, "LLMRace.Api", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0",
            "LLMRace.Api.dll");

    /// <summary>Starts the Api and waits until it says it has started; throws with its output if it exits first.</summary>
    public static async Task<StandaloneApi> StartAsync(string dataDir, IDictionary<string, string> environment, string? assembly = null,
        string host = "127.0.0.1")
    {
        assembly ??= BuiltAssembly;
        var start = new ProcessStartInfo("dotnet", $"\"{assembly}\"")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Port 0: the system picks a free one, so Apis started side by side by parallel tests never collide.
        start.Environment["ASPNETCORE_URLS"] = $"http://{host}:0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["LLMRACE_DB_PATH"] = Path.Combine(dataDir, "llmrace.db");
        // A silo of its own on free ports, so a restart right after a kill never finds them taken.
        start.Environment["LLMRACE_SILO_PORT"] = TestPorts.Next().ToString();
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var api = new StandaloneApi(Process.Start(start)!);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        api._process.OutputDataReceived += (_, e) => api.Collect(e.Data, started);
        api._process.ErrorDataReceived += (_, e) => api.Collect(e.Data, started);
        api._process.BeginOutputReadLine();
        api._process.BeginErrorReadLine();
        var exited = api._process.WaitForExitAsync();
        var first = await Task.WhenAny(started.Task, exited).WaitAsync(TimeSpan.FromMinutes(1));
        if (first == exited) throw new StandaloneApiExited(api._process.ExitCode, api.Output);
        if (api.Address is null) throw new InvalidOperationException($"the Api started without saying where it listens:\n{api.Output}");
        return api;
    }

    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];

    /// <summary>Completes when the Api prints a line containing <paramref name="text"/> (at once if it has already).</summary>
    public Task WaitForLineAsync(string text)
    {
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal)) return Task.CompletedTask;
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaited.Add((text, seen));
            return seen.Task;
        }
    }

    private void Collect(string? line, TaskCompletionSource started)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var awaited in _awaited.Where(a => line.Contains(a.Text, StringComparison.Ordinal)).ToList())
            {
                awaited.Seen.TrySetResult();
                _awaited.Remove(awaited);
            }
        }
        const string listening = "Now listening on: ";
        var at = line.IndexOf(listening, StringComparison.Ordinal);
        if (at >= 0) Address = new Uri($"http://127.0.0.1:{new Uri(line[(at + listening.Length)..].Trim()).Port}");
        if (line.Contains("Application started", StringComparison.Ordinal)) started.TrySetResult();
    }

    /// <summary>Asks the process to stop (SIGTERM), as an orchestrator scaling in does, and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        if (Kill(_process.Id, 15) != 0) throw new InvalidOperationException($"SIGTERM to {_process.Id} failed");
        await _process.WaitForExitAsync();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Kills the process hard (SIGKILL), as a crash or an out-of-memory kill would.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

public sealed class StandaloneApiExited(int exitCode, string output) : Exception($"the Api exited with {exitCode}:\n{output}")
{
    public int ExitCode { get; } = exitCode;
    public string Output { get; } = output;
}
