namespace LLMRace.Cli;

/// <summary>A failure the CLI explains in one line and turns into an exit code.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
