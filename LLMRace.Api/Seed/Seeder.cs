using LLMRace.Api.Endpoints;
using LLMRace.Api.Infrastructure;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Storage;

namespace LLMRace.Api.Seed;

/// <summary>
/// On the first start: a Simulator connection, three cars (a fast and a slow preset, and one that calls
/// tools) and the example suites, so a race can start at once. On every start: the Simulator connection follows the
/// Simulator's current address.
/// </summary>
public sealed class Seeder(
    GarageStore garage, SuiteStore suites, MetaStore meta, RaceSettings settings, IConfiguration configuration, TimeProvider time,
        ILogger<Seeder> logger)
{
    public const string SimulatorConnectionId = "conn_simulator";

    public string SimulatorUrl =>
        settings.SimulatorUrl ?? configuration["services:sim:http:0"] ?? "http://127.0.0.1:8100";

    public async Task SeedAsync()
    {
        // Silos starting together on one shared database: the one that claims the seeding does it, the others go on.
        var now = time.NowText();
        if (await meta.TryClaimAsync("seeded", now))
        {
            try
            {
                await SeedExamplesAsync(now);
            }
            catch
            {
                // Unclaimed again, so that the next start seeds instead of finding half the examples for good.
                await meta.DeleteAsync("seeded");
                throw;
            }
            logger.LogInformation("Seeded the Simulator connection ({Url}), three cars and the example suites", SimulatorUrl);
            return;
        }

        if (await garage.GetConnectionAsync(SimulatorConnectionId) is { Managed: true } simulator && simulator.BaseUrl != SimulatorUrl)
        {
            simulator.BaseUrl = SimulatorUrl;
            simulator.UpdatedAt = time.NowText();
            await garage.UpdateConnectionAsync(simulator);
        }
    }

    /// <summary>Adds what of the examples is missing, so a start after one that failed half-way completes them.</summary>
    private async Task SeedExamplesAsync(string now)
    {
        if (await garage.GetConnectionAsync(SimulatorConnectionId) is null)
            await garage.InsertConnectionAsync(new ConnectionRow
            {
                Id = SimulatorConnectionId, Name = "LLMRace Simulator", Type = ConnectionTypes.Simulator, BaseUrl = SimulatorUrl,
                TimeoutS = 30, MaxRetries = 2, MaxConcurrency = 8, Managed = true, CreatedAt = now, UpdatedAt = now,
            });
        foreach (var (id, name, model) in new[] { ("car_sprinter", "Sprinter", "sprinter"), ("car_cruiser", "Cruiser", "cruiser"),
            ("car_caller", "Caller", "caller") })
        {
            if (await garage.GetCarAsync(id) is null)
                await garage.InsertCarAsync(new CarRow { Id = id, Name = name, ConnectionId = SimulatorConnectionId, Model = model,
                    ParamsJson = "{}", CreatedAt = now, UpdatedAt = now });
        }
        var present = (await suites.ListAsync()).Select(s => s.Suite.Name).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Seed"), "*.json").Order())
        {
            var json = await File.ReadAllTextAsync(file);
            using (var document = System.Text.Json.JsonDocument.Parse(json))
                if (document.RootElement.GetProperty("name").GetString() is { } name && present.Contains(name)) continue;
            var (row, problems) = await SuiteEndpoints.SaveAsync(json, suites, time, null);
            if (row is null) logger.LogError("Example suite {File} is not valid: {Problems}", file, string.Join("; ",
                problems.Select(p => $"{p.Path}: {p.Message}")));
        }
    }
}
