using System.Diagnostics;
using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>
/// The AppHost's publish manifest, what `azd deploy` deploys from: generated as azd generates it (the AppHost run with the
/// manifest publisher, into the AppHost's folder) and read for what a deployment needs and must not hold.
/// </summary>
public sealed class ManifestTests
{
    private static async Task<(JsonElement Resources, string Text)> PublishAsync(params string[] extraArgs)
    {
        var appHost = Path.Combine(Repo.Root, "LLMRace.AppHost");
        // Beside the AppHost's project, where azd writes it: paths in it are relative to it.
        var manifest = Path.Combine(appHost, $"manifest-test-{Guid.NewGuid():N}.json");
        try
        {
            var dll = Path.Combine(appHost, "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "LLMRace.AppHost.dll");
            var start = new ProcessStartInfo("dotnet", [dll, "--publisher", "manifest", "--output-path", manifest,
                .. extraArgs]) { WorkingDirectory = appHost, RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"the manifest publisher exited with {process.ExitCode}: {await error}{await output}");
            var text = await File.ReadAllTextAsync(manifest);
            return (JsonDocument.Parse(text).RootElement.GetProperty("resources").Clone(), text);
        }
        finally
        {
            File.Delete(manifest);
        }
    }

    [Fact]
    public async Task Publishing_describes_the_api_on_postgresql_and_redis_with_secret_parameters_and_nothing_of_this_machine()
    {
        var (resources, text) = await PublishAsync();

        // Deployable resources only: no Vite server, no npm step, no Simulator unless asked for.
        Assert.DoesNotContain(resources.EnumerateObject(), r => r.Value.GetProperty("type").GetString() == "executable.v0");
        Assert.Equal(["api", "llmrace-redis", "postgres"], resources.EnumerateObject()
            .Where(r => r.Value.GetProperty("type").GetString() is "project.v0" or "container.v0").Select(r => r.Name).Order());
        Assert.Equal("value.v0", resources.GetProperty("llmrace-db").GetProperty("type").GetString());
        Assert.StartsWith("docker.io/library/postgres:", resources.GetProperty("postgres").GetProperty("image").GetString());
        Assert.StartsWith("docker.io/library/redis:", resources.GetProperty("llmrace-redis").GetProperty("image").GetString());
        Assert.Equal("llmrace-postgres-data", resources.GetProperty("postgres").GetProperty("volumes")[0].GetProperty("name").GetString());

        var api = resources.GetProperty("api");
        Assert.Equal("project.v0", api.GetProperty("type").GetString());
        Assert.Equal("../LLMRace.Api/LLMRace.Api.csproj", api.GetProperty("path").GetString());
        var env = api.GetProperty("env");
        Assert.Equal("{llmrace-db.connectionString}", env.GetProperty("ConnectionStrings__llmrace-db").GetString());
        Assert.Equal("{llmrace-redis.connectionString}", env.GetProperty("ConnectionStrings__llmrace-redis").GetString());
        Assert.Equal("{llmrace-secret-key.value}", env.GetProperty("LLMRACE_SECRET_KEY").GetString());
        Assert.Equal("{llmrace-access-token.value}", env.GetProperty("LLMRACE_ACCESS_TOKEN").GetString());
        Assert.False(env.TryGetProperty("LLMRACE_DB_PATH", out _), "no SQLite file in a deployment");
        Assert.False(env.TryGetProperty("Orleans__Clustering__ProviderType", out _), "no development clustering in a deployment");
        Assert.Equal("0", env.GetProperty("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS").GetString());
        Assert.Equal(11111, api.GetProperty("bindings").GetProperty("silo").GetProperty("targetPort").GetInt32());
        Assert.False(api.GetProperty("bindings").GetProperty("silo").TryGetProperty("external", out _), "silo port inside only");
        foreach (var secret in new[] { "llmrace-secret-key", "llmrace-access-token" })
            Assert.True(resources.GetProperty(secret).GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());

        Assert.DoesNotContain(Repo.Root, text);
        Assert.DoesNotContain(Path.GetTempPath(), text);
    }

    [Fact]
    public async Task The_simulator_is_deployed_only_when_asked_for()
    {
        var (resources, _) = await PublishAsync("--Parameters:llmrace-simulator=true");

        Assert.Equal("../LLMRace.Simulator/LLMRace.Simulator.csproj", resources.GetProperty("sim").GetProperty("path").GetString());
        Assert.True(resources.GetProperty("api").GetProperty("env").TryGetProperty("services__sim__http__0", out _));
    }
}
