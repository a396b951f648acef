namespace LLMRace.Grains.Measurement;

public static class Percentiles
{
    /// <summary>
    /// The p-th percentile (0-100) by linear interpolation between closest ranks, as numpy's default
    /// (and so vLLM bench serve and GuideLLM) computes it. Null for no samples.
    /// </summary>
    public static double? Of(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return null;
        if (p is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(p), p, "a percentile is between 0 and 100");
        var rank = p / 100 * (sorted.Count - 1);
        var lower = (int)Math.Floor(rank);
        var upper = (int)Math.Ceiling(rank);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
    }
}
