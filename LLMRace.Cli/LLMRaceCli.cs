using System.CommandLine;

namespace LLMRace.Cli;

/// <summary>The <c>llmrace</c> command line: its commands, parsed and run, with parse errors as <see cref="ExitCodes.BadInput"/>.</summary>
public static class LLMRaceCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, HttpMessageHandler? handler = null,
        CancellationToken ct = default)
    {
        var root = new RootCommand("LLMRace from a terminal or CI: race suites, load-test servers, compare runs with baselines")
        {
            RaceCommand.Create(() => handler),
            LoadCommand.Create(() => handler),
            CompareCommand.Create(() => handler),
            ExportCommand.Create(() => handler),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors) await error.WriteLineAsync($"llmrace: {problem.Message}");
            return ExitCodes.BadInput;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
    }
}
