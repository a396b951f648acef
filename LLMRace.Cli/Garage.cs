using System.Text.Json;

namespace LLMRace.Cli;

/// <summary>Finds what a command line names on the server: a suite (name, id or file) and cars (name, id or TYPE@URL/MODEL).</summary>
public sealed class Garage(RaceServer api, string? keyEnvVar = null)
{
    public async Task<string> SuiteAsync(string suite, CancellationToken ct)
    {
        var all = (await api.GetAsync("/api/suites", ct)).EnumerateArray().ToList();
        if (File.Exists(suite))
        {
            var text = await File.ReadAllTextAsync(suite, ct);
            var content = new StringContent(text, System.Text.Encoding.UTF8, "application/json");
            // The suite of that name, brought up to the file (its tests keep their ids, so its runs and baseline stay
            // comparable); a suite of a new name is imported.
            var named = NameIn(text) is { } name ? all.Where(s => s.GetProperty("name").GetString() == name).ToList() : [];
            return named.Count == 1
                ? (await api.PutAsync($"/api/suites/{Uri.EscapeDataString(named[0].GetProperty("id").GetString()!)}", content, ct))
                    .GetProperty("id").GetString()!
                : (await api.PostAsync("/api/suites/import", content, ct)).GetProperty("id").GetString()!;
        }
        var matches = all
            .Where(s => s.GetProperty("id").GetString() == suite || s.GetProperty("name").GetString() == suite).ToList();
        return matches.Count switch
        {
            1 => matches[0].GetProperty("id").GetString()!,
            0 => throw new CliException(ExitCodes.BadInput, $"no suite is named '{suite}' (nor has that id), and no such file exists"),
            _ => throw new CliException(ExitCodes.BadInput, $"{matches.Count} suites are named '{suite}': give its id instead"),
        };
    }

    private static string? NameIn(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("name", out var name)
                && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
        }
        catch (JsonException)
        {
            return null; // the server says what is wrong with it
        }
    }

    public async Task<List<string>> CarsAsync(IEnumerable<string> cars, CancellationToken ct)
    {
        var known = (await api.GetAsync("/api/cars", ct)).EnumerateArray().ToList();
        var ids = new List<string>();
        foreach (var car in cars)
        {
            if (CarSpec.Looks(car))
            {
                ids.Add(await CarOfSpecAsync(CarSpec.Parse(car), known, ct));
                continue;
            }
            var matches = known.Where(c => c.GetProperty("id").GetString() == car || c.GetProperty("name").GetString() == car).ToList();
            if (matches.Count != 1)
                throw new CliException(ExitCodes.BadInput, matches.Count == 0
                    ? $"no car is named '{car}' (nor has that id); the garage has: " +
                        string.Join(", ", known.Select(c => c.GetProperty("name").GetString()))
                    : $"{matches.Count} cars are named '{car}': give its id instead");
            ids.Add(matches[0].GetProperty("id").GetString()!);
        }
        return ids;
    }

    /// <summary>The car of a TYPE@URL/MODEL: the garage's own when it has one for that server and model, else a new one.</summary>
    private async Task<string> CarOfSpecAsync(CarSpec spec, List<JsonElement> known, CancellationToken ct)
    {
        var connections = (await api.GetAsync("/api/connections", ct)).EnumerateArray().ToList();
        var connection = connections.FirstOrDefault(c => c.GetProperty("type").GetString() == spec.Type
            && c.GetProperty("base_url").GetString()?.TrimEnd('/') == spec.BaseUrl.TrimEnd('/'));
        var connectionId = connection.ValueKind == JsonValueKind.Object
            ? connection.GetProperty("id").GetString()!
            : (await api.PostJsonAsync("/api/connections", new Dictionary<string, object?>
            {
                ["name"] = $"{spec.Type}@{spec.BaseUrl}",
                ["type"] = spec.Type,
                ["base_url"] = spec.BaseUrl,
                ["api_key_env_var"] = keyEnvVar,
            }, ct)).GetProperty("id").GetString()!;
        var car = known.FirstOrDefault(c => c.GetProperty("connection_id").GetString() == connectionId
            && c.GetProperty("model").GetString() == spec.Model);
        if (car.ValueKind == JsonValueKind.Object) return car.GetProperty("id").GetString()!;
        var created = await api.PostJsonAsync("/api/cars", new Dictionary<string, object?>
        {
            ["name"] = spec.ToString(),
            ["connection_id"] = connectionId,
            ["model"] = spec.Model,
        }, ct);
        known.Add(created);
        return created.GetProperty("id").GetString()!;
    }
}
