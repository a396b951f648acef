using System.Diagnostics;
using System.Net;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>In production, dotnet publish of the Api builds the UI into its static files, served same-origin.</summary>
public sealed class PublishTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llmrace-publish-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_published_api_serves_the_built_ui_with_a_fallback_for_its_routes()
    {
        var output = Path.Combine(_folder, "app");
        var (code, log) = await Repo.RunAsync("dotnet", $"publish \"{Path.Combine(Repo.Root, "LLMRace.Api")}\" -c Release -o \"{output}\"", Repo.Root);
        Assert.True(code == 0, log);
        Assert.True(File.Exists(Path.Combine(output, "wwwroot", "index.html")), "the UI is in wwwroot");

        var port = 18000 + Random.Shared.Next(1000);
        var start = new ProcessStartInfo("dotnet", "LLMRace.Api.dll") { WorkingDirectory = output, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["LLMRACE_DB_PATH"] = Path.Combine(_folder, "data", "llmrace.db");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var api = Process.Start(start)!;
        _ = api.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitForStartedAsync(api);

            var index = await http.GetStringAsync("/");
            Assert.Contains("<title>LLMRace</title>", index);
            Assert.Equal(index, await http.GetStringAsync("/history"));   // a UI route falls back to the index
            using var unknownApi = await http.GetAsync("/api/no-such-thing");
            Assert.Equal(HttpStatusCode.NotFound, unknownApi.StatusCode); // an API path never does
            using var suites = await http.GetAsync("/api/suites");
            Assert.Equal(HttpStatusCode.OK, suites.StatusCode);
            var script = System.Text.RegularExpressions.Regex.Match(index, "/assets/index-[^\"]+\\.js").Value;
            using var asset = await http.GetAsync(script);
            Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            api.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Reads the Api's console until the host says it has started (and keeps draining it).</summary>
    private static async Task WaitForStartedAsync(Process api)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var seen = new System.Text.StringBuilder();
        while (await api.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            seen.AppendLine(line);
            if (line.Contains("Application started", StringComparison.Ordinal))
            {
                _ = api.StandardOutput.ReadToEndAsync();
                return;
            }
        }
        throw new InvalidOperationException("the published Api exited before it started:\n" + seen);
    }
}
