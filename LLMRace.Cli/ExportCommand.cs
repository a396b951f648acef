using System.CommandLine;

namespace LLMRace.Cli;

/// <summary><c>llmrace export RUN</c>: a run's export (a race's or a load test's) written to a file.</summary>
public static class ExportCommand
{
    public static Command Create(Func<HttpMessageHandler?> handler)
    {
        var where = new ServerOptions();
        var run = new Argument<string>("run") { Description = "The run or load test (its id)" };
        var format = new Option<string>("--format")
        {
            Description = "json, csv or junit for a race; json, csv (a row per request) or steps_csv for a load test",
            DefaultValueFactory = _ => "json",
        };
        var file = new Option<FileInfo>("--output", "-o") { Description = "The file to write", Required = true };
        var command = new Command("export", "Write a run's or a load test's export to a file") { run, format, file };
        where.AddTo(command);
        CliAction.Set(command, async (parse, output, ct) =>
        {
            await using var connected = await where.ConnectAsync(parse, handler());
            var id = Uri.EscapeDataString(parse.GetValue(run)!);
            var kind = (await connected.Api.GetAsync($"/api/runs/{id}", ct)).GetProperty("kind").GetString();
            var path = kind == "load" ? $"/api/load-tests/{id}/export" : $"/api/runs/{id}/export";
            var bytes = await connected.Api.GetBytesAsync($"{path}?format={Uri.EscapeDataString(parse.GetValue(format)!)}", ct);
            var target = parse.GetValue(file)!;
            await File.WriteAllBytesAsync(target.FullName, bytes, ct);
            await output.WriteLineAsync($"Wrote {bytes.Length:N0} bytes to {target.FullName}");
            return ExitCodes.Passed;
        });
        return command;
    }
}
