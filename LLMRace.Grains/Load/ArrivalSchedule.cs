namespace LLMRace.Grains.Load;

/// <summary>
/// When an open-loop step sends its requests, in seconds from the step's start: evenly spaced at a constant rate, or
/// with gamma-distributed gaps of mean 1/rate (shape = burstiness; 1 is Poisson's exponential gaps), seeded, as vLLM's
/// <c>bench serve</c> draws them.
/// </summary>
public static class ArrivalSchedule
{
    public static IEnumerable<double> Constant(double rate)
    {
        for (long i = 0; ; i++) yield return i / rate;
    }

    public static IEnumerable<double> Gamma(double rate, double burstiness, int seed)
    {
        var random = new Random(seed);
        var scale = 1 / (rate * burstiness);
        var t = 0.0;
        while (true)
        {
            yield return t;
            t += SampleGamma(random, burstiness) * scale;
        }
    }

    /// <summary>A Gamma(shape, 1) sample by Marsaglia and Tsang's method (boosted for shape below 1).</summary>
    private static double SampleGamma(Random random, double shape)
    {
        if (shape < 1) return SampleGamma(random, shape + 1) * Math.Pow(1 - random.NextDouble(), 1 / shape);
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            var u = 1 - random.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
