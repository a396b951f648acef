using System.Diagnostics;
using System.Text;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>The UI's Vite dev server on its own port, with the environment a test gives it (e.g. VITE_PROXY_BASE_URL).</summary>
public sealed class ViteServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ViteServer(Process process, Uri address) => (_process, Address) = (process, address);

    public Uri Address { get; }

    public static async Task<ViteServer> StartAsync(IDictionary<string, string> environment)
    {
        var port = TestPorts.Next();
        var start = new ProcessStartInfo("node", $"node_modules/vite/bin/vite.js --port {port} --strictPort --host 127.0.0.1")
        {
            WorkingDirectory = Path.Combine(Repo.Root, "LLMRace.Ui"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var server = new ViteServer(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}/"));
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(string? line)
        {
            if (line is null) return;
            lock (server._output) server._output.AppendLine(line);
            if (line.Contains($"127.0.0.1:{port}", StringComparison.Ordinal)) ready.TrySetResult();
        }
        server._process.OutputDataReceived += (_, e) => Collect(e.Data);
        server._process.ErrorDataReceived += (_, e) => Collect(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var exited = server._process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited).WaitAsync(TimeSpan.FromMinutes(1)) == exited)
        {
            lock (server._output) throw new InvalidOperationException($"Vite exited with {server._process.ExitCode}:\n{server._output}");
        }
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
