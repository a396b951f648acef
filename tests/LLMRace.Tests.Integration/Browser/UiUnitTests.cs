using System.Diagnostics;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>The UI's own logic (formatting, race state, JSON paths) is tested with vitest; this runs it from dotnet test.</summary>
public sealed class UiUnitTests
{
    [Fact]
    public async Task The_vitest_suite_passes()
    {
        var ui = UiFolder();
        if (!Directory.Exists(Path.Combine(ui, "node_modules", "vitest"))) Assert.Equal(0, (await RunAsync(ui, "npm", "ci --no-audit --no-fund")).ExitCode);

        var (exitCode, output) = await RunAsync(ui, "npx", "vitest run --reporter=verbose");

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"Tests\s+\d+ passed", output);
        Assert.DoesNotContain("failed", output.Split('\n').Last(l => l.Contains("Tests ")));
    }

    private static string UiFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LLMRace.sln"))) return Path.Combine(dir.FullName, "LLMRace.Ui");
        throw new DirectoryNotFoundException("LLMRace.sln was not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string folder, string command, string arguments)
    {
        var start = new ProcessStartInfo(command, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["CI"] = "true";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
