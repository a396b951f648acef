using LLMRace.Grains.Measurement;

namespace LLMRace.Grains.Load;

/// <summary>What ended in the current second of a step, for its <c>load.second</c> event: counts and TTFTs, not results.</summary>
public sealed class LoadSecondTally
{
    private readonly Lock _lock = new();
    private List<double> _ttft = [];
    private int _ended, _completed, _errors, _passed;
    private long _outputTokens;

    public void Add(LoadRequestResult r)
    {
        lock (_lock)
        {
            _ended++;
            if (r.Status == LoadStatus.Error) _errors++;
            if (r.Status is LoadStatus.Passed or LoadStatus.Failed) _completed++;
            if (r.Status == LoadStatus.Passed) _passed++;
            _outputTokens += r.Metrics.OutputTokens;
            if (r.Metrics.TtftMs is { } ttft) _ttft.Add(ttft);
        }
    }

    /// <summary>Whether any request ended in the second so far.</summary>
    public bool Any
    {
        get { lock (_lock) return _ended > 0; }
    }

    /// <summary>The second's counts and TTFT p50, and a new second begun.</summary>
    public (int Completed, int Errors, int Passed, long OutputTokens, double? TtftP50Ms) Take()
    {
        List<double> ttft;
        (int, int, int, long) counts;
        lock (_lock)
        {
            (ttft, _ttft) = (_ttft, []);
            counts = (_completed, _errors, _passed, _outputTokens);
            (_ended, _completed, _errors, _passed, _outputTokens) = (0, 0, 0, 0, 0);
        }
        ttft.Sort();
        return (counts.Item1, counts.Item2, counts.Item3, counts.Item4, Percentiles.Of(ttft, 50) is { } p ? Math.Round(p, 3) : null);
    }
}
