using System.Diagnostics;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Timing;

namespace LLMRace.Tests.Unit;

public class StreamMeterTests
{
    private static long Ms(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    [Fact]
    public void Measures_ttft_itl_e2e_and_tpot_from_chunk_times()
    {
        var meter = new StreamMeter();
        var t0 = Ms(1_000);
        meter.Start(t0);
        meter.Headers(t0 + Ms(20));
        meter.Content(t0 + Ms(200), isVisibleText: true);
        meter.Content(t0 + Ms(210), isVisibleText: true);
        meter.Content(t0 + Ms(230), isVisibleText: true);
        meter.Content(t0 + Ms(260), isVisibleText: true);

        var m = meter.Finish(reportedOutputTokens: 4, inputTokens: 9, retries: 0);

        Assert.Equal(20, m.TtfbMs!.Value, 3);
        Assert.Equal(200, m.TtftMs!.Value, 3);
        Assert.Equal(260, m.E2eMs!.Value, 3);
        Assert.Equal([10.0, 20.0, 30.0], m.ItlMs.Select(x => Math.Round(x, 3)));
        Assert.Equal(20, m.TpotMs!.Value, 3);          // (260 - 200) / (4 - 1)
        Assert.Equal(50, m.DecodeTokensPerS!.Value, 3); // 1000 / 20
        Assert.False(m.OutputTokensEstimated);
        Assert.Equal(9, m.InputTokens);
    }

    [Fact]
    public void Reasoning_counts_for_ttft_but_not_for_time_to_first_text()
    {
        var meter = new StreamMeter();
        meter.Start(0);
        meter.Content(Ms(50), isVisibleText: false);
        meter.Content(Ms(90), isVisibleText: true);

        var m = meter.Finish(null, null, 0);

        Assert.Equal(50, m.TtftMs!.Value, 3);
        Assert.Equal(90, m.TtftTextMs!.Value, 3);
    }

    [Fact]
    public void Without_usage_the_tokens_are_counted_as_chunks_and_marked_estimated()
    {
        var meter = new StreamMeter();
        meter.Start(0);
        for (var i = 0; i < 5; i++) meter.Content(Ms(100 + 10 * i), true);

        var m = meter.Finish(reportedOutputTokens: null, inputTokens: null, retries: 0);

        Assert.Equal(5, m.OutputTokens);
        Assert.True(m.OutputTokensEstimated);
        Assert.Equal(10, m.TpotMs!.Value, 3);
    }

    [Fact]
    public void A_single_token_has_no_tpot_and_no_content_has_no_ttft()
    {
        var one = new StreamMeter();
        one.Start(0);
        one.Content(Ms(5), true);
        Assert.Null(one.Finish(1, null, 0).TpotMs);

        var none = new StreamMeter();
        none.Start(0);
        var m = none.Finish(null, null, 0);
        Assert.Null(m.TtftMs);
        Assert.Null(m.E2eMs);
        Assert.Empty(m.ItlMs);
    }

    [Fact]
    public void A_retry_restarts_the_clock()
    {
        var meter = new StreamMeter();
        meter.Start(0);
        meter.Headers(Ms(10));
        meter.Start(Ms(1_000));
        meter.Content(Ms(1_040), true);

        var m = meter.Finish(1, null, retries: 1);

        Assert.Null(m.TtfbMs);
        Assert.Equal(40, m.TtftMs!.Value, 3);
        Assert.Equal(1, m.Retries);
    }

    [Fact]
    public void T0_moves_to_when_the_request_left()
    {
        var meter = new StreamMeter();
        meter.Start(Ms(1_000));
        meter.Sent(Ms(1_003), kernel: false);
        meter.Content(new ChunkTime(Ms(1_043), true, false), true);

        var m = meter.Finish(1, null, retries: 0);
        Assert.Equal(40, m.TtftMs!.Value, 3);
        // Chunks on the kernel's clock but a send timed in user space: the item's times are not all the kernel's.
        Assert.Equal("user", m.TimingSource);
    }

    [Fact]
    public void Chunks_stamped_as_one_leave_every_gap_into_them_out_of_itl_the_first_of_them_included()
    {
        // Chunks 1 and 2 came in one read stamped 230 ms (chunk 1 had arrived earlier, when is unknown); chunk 3 on its own.
        var meter = new StreamMeter();
        meter.Start(0);
        meter.Sent(Ms(1), kernel: true);
        meter.Content(new ChunkTime(Ms(200), true, false), true);
        meter.Content(new ChunkTime(Ms(230), true, false), true);
        meter.Content(new ChunkTime(Ms(230), true, true), true);
        meter.Content(new ChunkTime(Ms(240), true, false), true);

        var m = meter.Finish(4, null, retries: 0);

        Assert.Equal(199, m.TtftMs!.Value, 3);
        Assert.Equal([10.0], m.ItlMs.Select(x => Math.Round(x, 3)));
        Assert.Equal(2, m.CoalescedChunks);
        Assert.Equal("kernel", m.TimingSource);
    }
}

public class PercentileTests
{
    [Theory]
    // Expected values are numpy.percentile(data, p) with the default linear method.
    [InlineData(50, 3.0)]
    [InlineData(90, 4.6)]
    [InlineData(99, 4.96)]
    [InlineData(0, 1.0)]
    [InlineData(100, 5.0)]
    public void Interpolates_linearly_between_ranks(double p, double expected)
    {
        Assert.Equal(expected, Percentiles.Of([1, 2, 3, 4, 5], p)!.Value, 9);
    }

    [Fact]
    public void No_samples_give_no_percentile() => Assert.Null(Percentiles.Of([], 50));

    [Fact]
    public void Rejects_percentiles_outside_0_to_100() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1], 101));
}
