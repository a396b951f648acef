using System.Diagnostics;

namespace LLMRace.Tests.Integration;

/// <summary>The repository these tests run from, and running its tools as a user would.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LLMRace.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("LLMRace.sln was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a command to its end (within a limit) and returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string command, string arguments, string folder, IDictionary<string,
        string>? environment = null)
    {
        var start = new ProcessStartInfo(command, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true,
            RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
