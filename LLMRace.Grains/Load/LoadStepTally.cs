using LLMRace.Grains.Contracts;
using LLMRace.Grains.Measurement;

namespace LLMRace.Grains.Load;

/// <summary>
/// A step's requests summed up as they end, keeping only the numbers its figures need. Why not every request's result
/// until the step ends: at 2,000 requests/s those objects were most of what each collection had to find and copy (they
/// are reached from the older list that holds them), so every pause of the process, the schedule's included, was longer.
/// Numbers in arrays of doubles are neither traced nor, once large, moved.
/// </summary>
public sealed class LoadStepTally(LoadSlo? slo)
{
    /// <summary>A hostile server could name a new timing in every answer: the first this many names are kept.</summary>
    private const int MaxServerTimingNames = 64;

    private readonly Lock _lock = new();
    private readonly List<double> _ttft = [], _itl = [], _tpot = [], _e2e = [], _scheduleError = [];
    private readonly Dictionary<string, int> _errors = [];
    private readonly Dictionary<string, List<double>> _serverTimings = [];
    private int _requests, _measured, _completed, _passed, _good;
    private long _outputTokens;
    private double _busyMs, _firstSent = double.MaxValue, _lastEnd = double.MinValue;

    public void Add(LoadRequestResult r)
    {
        var good = r.Status == LoadStatus.Passed && MeetsEveryObjective(r.Metrics, slo);
        lock (_lock)
        {
            _requests++;
            if (!r.Measured || r.Status == LoadStatus.Cancelled) return;
            _measured++;
            _firstSent = Math.Min(_firstSent, r.SentMs);
            _lastEnd = Math.Max(_lastEnd, r.EndMs ?? r.SentMs);
            _busyMs += r.Metrics.E2eMs ?? 0;
            _scheduleError.Add(r.ScheduleErrorMs);
            if (r.Status == LoadStatus.Passed) _passed++;
            if (good) _good++;
            if (r.Status == LoadStatus.Error)
            {
                var kind = r.ErrorKind ?? "other";
                _errors[kind] = _errors.GetValueOrDefault(kind) + 1;
                return;
            }
            _completed++;
            var m = r.Metrics;
            _outputTokens += m.OutputTokens;
            if (m.TtftMs is { } ttft) _ttft.Add(ttft);
            if (m.TpotMs is { } tpot) _tpot.Add(tpot);
            if (m.E2eMs is { } e2e) _e2e.Add(e2e);
            _itl.AddRange(m.ItlMs);
            foreach (var (name, value) in r.ServerTimings ?? EmptyTimings)
            {
                if (!_serverTimings.TryGetValue(name, out var values))
                {
                    if (_serverTimings.Count >= MaxServerTimingNames) continue;
                    _serverTimings[name] = values = [];
                }
                values.Add(value);
            }
        }
    }

    /// <summary>The step's figures by the definitions of BRIEF section 4 (see <see cref="LoadStepFigures"/>).</summary>
    public LoadStepFigures Figures(LoadStep step, long peakConcurrency)
    {
        lock (_lock)
        {
            var window = _measured == 0 ? 0 : (_lastEnd - _firstSent) / 1000;
            // A window of one instant (a single request with no stream) would make rates infinite.
            var perS = window > 0.0005 ? 1 / window : 0;
            // Each latency sorted once, for its figures and for its objective alike (ITL pools every gap: it can be large).
            double[] ttftSorted = Sorted(_ttft), itlSorted = Sorted(_itl), tpotSorted = Sorted(_tpot), e2eSorted = Sorted(_e2e);
            double? passRate = _measured > 0 ? Math.Round((double)_passed / _measured, 4) : null;

            List<string> misses = [];
            bool? met = null;
            if (slo is { Any: true })
            {
                void Check(string name, double? limit, double[] sorted)
                {
                    if (limit is not { } l) return;
                    if (Percentiles.Of(sorted, slo.At) is not { } at) misses.Add($"{name}: no measured request");
                    else if (at > l) misses.Add($"{name} p{slo.At:0.#} {at:0.###} ms > {l:0.###} ms");
                }
                Check("TTFT", slo.TtftMs, ttftSorted);
                Check("ITL", slo.ItlMs, itlSorted);
                Check("TPOT", slo.TpotMs, tpotSorted);
                Check("E2E", slo.E2eMs, e2eSorted);
                if (slo.CheckPassRate is { } rate && (passRate ?? 0) < rate)
                    misses.Add($"check pass rate {(passRate ?? 0) * 100:0.##}% < {rate * 100:0.##}%");
                met = misses.Count == 0 && _measured > 0;
                if (_measured == 0) misses.Add("no measured request");
            }
            var serverTimings = _serverTimings.Count > 0
                ? _serverTimings.ToDictionary(t => t.Key, t => LatencyStats.OfSorted(Sorted(t.Value))!)
                : null;

            return new LoadStepFigures(step.Index, step.Kind, step.Rate, step.Concurrency, step.Purpose,
                _requests, _measured, _completed, Math.Round(window, 3),
                Math.Round(_completed * perS, 3), Math.Round(_outputTokens * perS, 3), Math.Round(_busyMs / 1000 * perS, 3),
                peakConcurrency, LatencyStats.OfSorted(ttftSorted), LatencyStats.OfSorted(itlSorted),
                LatencyStats.OfSorted(tpotSorted), LatencyStats.OfSorted(e2eSorted), LatencyStats.OfSorted(Sorted(_scheduleError)),
                _measured > 0 ? Math.Round((double)(_measured - _completed) / _measured, 4) : 0, new Dictionary<string, int>(_errors),
                passRate, Math.Round(_good * perS, 3), met, misses, serverTimings);
        }
    }

    private static readonly IReadOnlyDictionary<string, double> EmptyTimings = new Dictionary<string, double>();

    private static double[] Sorted(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    /// <summary>vLLM's goodput test of one request, with ITL at the objectives' percentile of the request's own gaps.</summary>
    private static bool MeetsEveryObjective(ItemMetrics m, LoadSlo? slo)
    {
        if (slo is null) return true;
        if (slo.TtftMs is { } ttft && !(m.TtftMs <= ttft)) return false;
        if (slo.TpotMs is { } tpot && m.TpotMs > tpot) return false;
        if (slo.E2eMs is { } e2e && !(m.E2eMs <= e2e)) return false;
        if (slo.ItlMs is { } itl && m.ItlMs.Length > 0 && Percentiles.Of(m.ItlMs.Order().ToArray(), slo.At) > itl) return false;
        return true;
    }
}
