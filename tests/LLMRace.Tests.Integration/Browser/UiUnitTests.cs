namespace LLMRace.Tests.Integration.Browser;

/// <summary>The UI's own logic (formatting, race state, JSON paths) is tested with vitest; this runs it from dotnet test.</summary>
public sealed class UiUnitTests
{
    [Fact]
    public async Task The_vitest_suite_passes()
    {
        var ui = Path.Combine(Repo.Root, "LLMRace.Ui");
        var environment = new Dictionary<string, string> { ["CI"] = "true", ["NO_COLOR"] = "1" };
        if (!Directory.Exists(Path.Combine(ui, "node_modules", "vitest"))) Assert.Equal(0, (await Repo.RunAsync("npm",
            "ci --no-audit --no-fund", ui, environment)).ExitCode);

        var (exitCode, output) = await Repo.RunAsync("npx", "vitest run --reporter=verbose", ui, environment);

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"Tests\s+\d+ passed", output);
        Assert.DoesNotContain("failed", output.Split('\n').Last(l => l.Contains("Tests ")));
    }
}
