using System.CommandLine;
using System.Globalization;

namespace LLMRace.Cli;

/// <summary>How much worse than its baseline a run may be before it counts as regressed (the comparison's tolerances).</summary>
public sealed class ToleranceOptions
{
    private readonly Option<double?> _ttft = new("--ttft-tolerance") { Description = "TTFT p50 may be this many % worse (default 20)" };
    private readonly Option<double?> _e2e = new("--e2e-tolerance") { Description = "E2E p50 may be this many % worse (default 20)" };
    private readonly Option<double?> _tpot = new("--tpot-tolerance") { Description = "TPOT p50 may be this many % worse (default 20)" };
    private readonly Option<double?> _passRate = new("--pass-rate-tolerance")
    {
        Description = "The pass rate may drop by this many points (default 0)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_ttft);
        command.Options.Add(_e2e);
        command.Options.Add(_tpot);
        command.Options.Add(_passRate);
    }

    /// <summary>The tolerances given, as the comparison endpoint's query (the server checks their ranges).</summary>
    public string Query(ParseResult parse)
    {
        var parts = new List<string>();
        void Add(string name, double? value)
        {
            if (value is { } v) parts.Add($"{name}={v.ToString(CultureInfo.InvariantCulture)}");
        }
        Add("ttft_tolerance_pct", parse.GetValue(_ttft));
        Add("e2e_tolerance_pct", parse.GetValue(_e2e));
        Add("tpot_tolerance_pct", parse.GetValue(_tpot));
        Add("pass_rate_tolerance_points", parse.GetValue(_passRate));
        return string.Join('&', parts);
    }
}
