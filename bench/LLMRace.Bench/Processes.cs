using System.Diagnostics;

namespace LLMRace.Bench;

/// <summary>A server of the solution started as its own process, on loopback.</summary>
public sealed class Server : IAsyncDisposable
{
    private readonly Process _process;

    private Server(Process process, Uri address) { _process = process; Address = address; }

    /// <summary>Where it listens: the port the system gave it, read from its "Now listening on" line.</summary>
    public Uri Address { get; }
    public int Pid => _process.Id;

    /// <summary>CPUs (a taskset list such as "1") the Api is confined to; null leaves it to the OS.</summary>
    public static string? ApiCpus { get; set; }

    public static async Task<Server> StartAsync(string project, string configuration, IDictionary<string, string> environment)
    {
        var dll = Path.Combine(RepositoryRoot(), project, "bin", configuration, "net10.0", $"{project}.dll");
        var start = project == "LLMRace.Api" && ApiCpus is { } cpus
            ? new ProcessStartInfo("taskset", $"-c {cpus} dotnet \"{dll}\"")
            : new ProcessStartInfo("dotnet", $"\"{dll}\"");
        start.WorkingDirectory = Path.GetDirectoryName(dll)!;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        // Port 0: the system picks a free one, so the Simulator and the Api never draw the same port.
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        // The Api runs as the AppHost runs it.
        if (project == "LLMRace.Api") start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = Process.Start(start)!;
        var started = new TaskCompletionSource<Uri>();
        Uri? address = null;
        // Its warnings and errors go to a log beside the figures, for reading after a run.
        var logPath = Path.Combine(Path.GetTempPath(), $"llmrace-bench-{project}-{process.Id}.log");
        var log = TextWriter.Synchronized(new StreamWriter(logPath) { AutoFlush = true });
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            const string listening = "Now listening on: ";
            var at = e.Data.IndexOf(listening, StringComparison.Ordinal);
            if (at >= 0) address = new Uri(e.Data[(at + listening.Length)..].Trim());
            if (e.Data.Contains("Application started") && address is not null) started.TrySetResult(address);
            log.WriteLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(started.Task, exited).WaitAsync(TimeSpan.FromMinutes(5)) == exited)
            throw new InvalidOperationException($"{project} exited with {process.ExitCode} before it started; its output is in {logPath}");
        return new Server(process, await started.Task);
    }

    public static string RepositoryRoot()
    {
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root,
            "LLMRace.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run from inside the repository");
        return root;
    }

    /// <summary>Peak resident memory (VmHWM) in MB, from /proc.</summary>
    public double PeakRssMb() => StatusMb("VmHWM:");

    /// <summary>Resident memory now (VmRSS) in MB, from /proc.</summary>
    public double RssMb() => StatusMb("VmRSS:");

    private double StatusMb(string field)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith(field));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    /// <summary>CPU time (user + system) the process has used so far, in ms, from /proc.</summary>
    public double CpuMs()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of stat (utime, stime), counted from the state field (3), in clock ticks of 10 ms.
        return (long.Parse(fields[11]) + long.Parse(fields[12])) * 10.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }
}
