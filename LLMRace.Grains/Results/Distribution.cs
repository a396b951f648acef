using LLMRace.Grains.Measurement;

namespace LLMRace.Grains.Results;

/// <summary>Percentiles and spread of one measurement over a set of items.</summary>
public sealed record Distribution(int Count, double? Mean, double? Min, double? P50, double? P90, double? P95, double? P99, double? Max,
    double? StdDev)
{
    public static Distribution Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return new Distribution(0, null, null, null, null, null, null, null, null);
        var mean = sorted.Average();
        var variance = sorted.Length > 1 ? sorted.Sum(v => (v - mean) * (v - mean)) / (sorted.Length - 1) : 0;
        static double R(double v) => Math.Round(v, 3);
        return new Distribution(sorted.Length, R(mean), R(sorted[0]), R(Percentiles.Of(sorted, 50)!.Value), R(Percentiles.Of(sorted,
            90)!.Value),
            R(Percentiles.Of(sorted, 95)!.Value), R(Percentiles.Of(sorted, 99)!.Value), R(sorted[^1]), R(Math.Sqrt(variance)));
    }
}
