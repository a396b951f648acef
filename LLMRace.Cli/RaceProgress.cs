using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace LLMRace.Cli;

/// <summary>A race as its events tell it, per car: what finished, how it did, and the line or the table that shows it.</summary>
public sealed class RaceProgress(int total)
{
    private readonly Dictionary<string, (string Car, string Test)> _started = [];
    private readonly Dictionary<string, CarProgress> _cars = [];
    private int _done;

    /// <summary>The run's terminal event so far ("" while it races).</summary>
    public string End { get; private set; } = "";

    /// <summary>Takes an event in; returns the line of an item that finished, else null.</summary>
    public string? Apply(JsonElement e)
    {
        var type = e.GetProperty("type").GetString()!;
        var itemId = e.TryGetProperty("item_id", out var i) ? i.GetString() : null;
        var data = e.GetProperty("data");
        if (type == "item.started" && itemId is not null)
        {
            var car = data.GetProperty("car_name").GetString()!;
            _started[itemId] = (car, data.GetProperty("test_name").GetString()!);
            if (!_cars.ContainsKey(car)) _cars[car] = new CarProgress();
            return null;
        }
        if (type == "item.completed" && itemId is not null)
        {
            _done++;
            var (car, test) = _started.GetValueOrDefault(itemId, ("?", "?"));
            var status = data.GetProperty("status").GetString()!;
            var progress = _cars.TryGetValue(car, out var p) ? p : _cars[car] = new CarProgress();
            progress.Add(status, Number(data, "ttft_ms"), Number(data, "decode_tokens_per_s"));
            return $"[{_done}/{total}] {car} · {test} · {status}{Timing(data)}";
        }
        if (type.StartsWith("run.", StringComparison.Ordinal) && type != "run.started") End = type;
        return null;
    }

    public Table Table()
    {
        var table = new Table().Title($"{_done}/{total} items");
        foreach (var column in new[] { "Car", "Finished", "Passed", "Failed", "Errors", "TTFT p50 ms", "tok/s p50" })
            table.AddColumn(column);
        static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        foreach (var (car, p) in _cars)
            table.AddRow(Markup.Escape(car), N(p.Finished), N(p.Passed), N(p.Failed), N(p.Errors), Median(p.Ttft, "0"),
                Median(p.TokensPerS, "0.0"));
        return table;
    }

    private static double? Number(JsonElement data, string field) =>
        data.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty(field, out var v)
            && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Timing(JsonElement data)
    {
        var parts = new List<string>();
        if (Number(data, "ttft_ms") is { } ttft) parts.Add($"TTFT {ttft.ToString("0", CultureInfo.InvariantCulture)} ms");
        if (Number(data, "decode_tokens_per_s") is { } tps) parts.Add($"{tps.ToString("0.0", CultureInfo.InvariantCulture)} tok/s");
        return parts.Count == 0 ? "" : " · " + string.Join(" · ", parts);
    }

    private static string Median(List<double> values, string format)
    {
        if (values.Count == 0) return "–";
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2].ToString(format, CultureInfo.InvariantCulture);
    }

    private sealed class CarProgress
    {
        public int Finished, Passed, Failed, Errors;
        public readonly List<double> Ttft = [];
        public readonly List<double> TokensPerS = [];

        public void Add(string status, double? ttft, double? tokensPerS)
        {
            Finished++;
            if (status == "passed") Passed++;
            else if (status == "failed") Failed++;
            else if (status == "error") Errors++;
            if (ttft is { } t) Ttft.Add(t);
            if (tokensPerS is { } s) TokensPerS.Add(s);
        }
    }
}
