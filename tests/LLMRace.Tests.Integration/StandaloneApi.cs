using System.Diagnostics;
using System.Text;

namespace LLMRace.Tests.Integration;

/// <summary>The Api run on its own (as a container would run it), on a port and database of its own.</summary>
public sealed class StandaloneApi : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private StandaloneApi(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The Api built beside these tests, in the same configuration.</summary>
    public static string BuiltAssembly =>
        Path.Combine(Repo.Root, "LLMRace.Api", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "LLMRace.Api.dll");

    /// <summary>Starts the Api and waits until it says it has started; throws with its output if it exits first.</summary>
    public static async Task<StandaloneApi> StartAsync(string dataDir, IDictionary<string, string> environment, string? assembly = null, string host = "127.0.0.1")
    {
        var port = 18000 + Random.Shared.Next(2000);
        assembly ??= BuiltAssembly;
        var start = new ProcessStartInfo("dotnet", $"\"{assembly}\"")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://{host}:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["LLMRACE_DB_PATH"] = Path.Combine(dataDir, "llmrace.db");
        // A silo of its own on free ports, so a restart right after a kill never finds them taken.
        start.Environment["LLMRACE_SILO_PORT"] = (21000 + Random.Shared.Next(4000)).ToString();
        start.Environment["LLMRACE_GATEWAY_PORT"] = (25000 + Random.Shared.Next(4000)).ToString();
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var api = new StandaloneApi(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        api._process.OutputDataReceived += (_, e) => api.Collect(e.Data, started);
        api._process.ErrorDataReceived += (_, e) => api.Collect(e.Data, started);
        api._process.BeginOutputReadLine();
        api._process.BeginErrorReadLine();
        var exited = api._process.WaitForExitAsync();
        var first = await Task.WhenAny(started.Task, exited).WaitAsync(TimeSpan.FromMinutes(1));
        if (first == exited) throw new StandaloneApiExited(api._process.ExitCode, api.Output);
        return api;
    }

    private void Collect(string? line, TaskCompletionSource started)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.Contains("Application started", StringComparison.Ordinal)) started.TrySetResult();
    }

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
