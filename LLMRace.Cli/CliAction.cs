using System.CommandLine;

namespace LLMRace.Cli;

/// <summary>How every command ends: its exit code, or a <see cref="CliException"/>'s (one line on stderr, no stack trace).</summary>
public static class CliAction
{
    public static void Set(Command command, Func<ParseResult, TextWriter, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            try
            {
                return await action(parse, parse.InvocationConfiguration.Output, ct);
            }
            catch (CliException e)
            {
                await error.WriteLineAsync($"llmrace: {e.Message}");
                return e.ExitCode;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"llmrace: cannot write a report: {e.Message}");
                return ExitCodes.BadInput;
            }
        });

    /// <summary>Spectre.Console on the command's output: colour and width on a terminal, plain and wide in a CI log.</summary>
    public static Spectre.Console.IAnsiConsole Console(TextWriter output)
    {
        var terminal = output == System.Console.Out && !System.Console.IsOutputRedirected;
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(output),
            Ansi = terminal ? Spectre.Console.AnsiSupport.Detect : Spectre.Console.AnsiSupport.No,
            ColorSystem = terminal ? Spectre.Console.ColorSystemSupport.Detect : Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.No,
        });
        // A CI log is not a terminal: give tables room instead of wrapping them at 80 columns.
        if (!terminal) console.Profile.Width = 160;
        return console;
    }

    public static bool IsTerminal(TextWriter output) => output == System.Console.Out && !System.Console.IsOutputRedirected;
}
