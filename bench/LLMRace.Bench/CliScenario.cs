using System.Diagnostics;
using System.Text.Json;

namespace LLMRace.Bench;

/// <summary>
/// <c>llmrace race</c>, embedded (nothing else started but the Simulator), as CI would run it: a process from start to
/// exit, its start-up, a fresh database and the race of a suite file included.
/// </summary>
public static class CliScenario
{
    public static async Task<(List<double> WallMs, int ExitCode)> RunAsync(string configuration, Uri simulator, int tests, int concurrency,
        int rounds)
    {
        var dll = Path.Combine(Server.RepositoryRoot(), "LLMRace.Cli", "bin", configuration, "net10.0", "llmrace.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"build the CLI first: dotnet build -c {configuration} LLMRace.Cli");
        var folder = Directory.CreateTempSubdirectory("llmrace-bench-cli-").FullName;
        var suite = Path.Combine(folder, "suite.json");
        await File.WriteAllTextAsync(suite, JsonSerializer.Serialize(new
        {
            name = "CLI bench",
            tests = Enumerable.Range(1, tests).Select(i => new { order_index = i, name = $"t{i}", user_prompt = $"bench prompt {i}",
                expected_constraints = "max_words:100" }),
        }));
        var car = $"OPENAI_COMPAT@{simulator.ToString().TrimEnd('/')}/v1/instant?tokens=16";
        var walls = new List<double>();
        var code = 0;
        for (var round = 0; round < rounds; round++)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { dll, "race", "--data", Path.Combine(folder, $"data{round}"), "--suite", suite, "--car", car, "--concurrency",
                    concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            start.Environment.Remove("LLMRACE_SERVER");
            var started = Stopwatch.GetTimestamp();
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            walls.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            code = Math.Max(code, process.ExitCode);
            if (process.ExitCode != 0)
                Console.Error.WriteLine($"llmrace exited {process.ExitCode}:\n{await output}\n{await error}");
        }
        try { Directory.Delete(folder, true); } catch (IOException) { }
        return (walls, code);
    }
}
