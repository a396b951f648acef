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
        if (await meta.GetAsync("seeded") is null)
        {
            var now = time.NowText();
            await garage.InsertConnectionAsync(new ConnectionRow
            {
                Id = SimulatorConnectionId, Name = "LLMRace Simulator", Type = ConnectionTypes.Simulator, BaseUrl = SimulatorUrl,
                TimeoutS = 30, MaxRetries = 2, MaxConcurrency = 8, Managed = true, CreatedAt = now, UpdatedAt = now,
            });
            await garage.InsertCarAsync(new CarRow { Id = "car_sprinter", Name = "Sprinter", ConnectionId = SimulatorConnectionId,
                Model = "sprinter", ParamsJson = "{}", CreatedAt = now, UpdatedAt = now });
            await garage.InsertCarAsync(new CarRow { Id = "car_cruiser", Name = "Cruiser", ConnectionId = SimulatorConnectionId,
                Model = "cruiser", ParamsJson = "{}", CreatedAt = now, UpdatedAt = now });
            await garage.InsertCarAsync(new CarRow { Id = "car_caller", Name = "Caller", ConnectionId = SimulatorConnectionId,
                Model = "caller", ParamsJson = "{}", CreatedAt = now, UpdatedAt = now });
            foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Seed"), "*.json").Order())
            {
                var (row, problems) = await SuiteEndpoints.SaveAsync(await File.ReadAllTextAsync(file), suites, time, null);
                if (row is null) logger.LogError("Example suite {File} is not valid: {Problems}", file, string.Join("; ",
                    problems.Select(p => $"{p.Path}: {p.Message}")));
            }
            await meta.SetAsync("seeded", now);
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
}
