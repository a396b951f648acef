using System.Text.Json.Nodes;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Limits;
using LLMRace.Grains.Load;
using LLMRace.Grains.Providers;

namespace LLMRace.Bench;

/// <summary>
/// The open-loop generator alone: the engine's own step runner, provider client and kernel stamps, in this process,
/// sending a constant step to the Simulator, without the Api that in a load test also stores and streams every request's
/// event on the same cores. What it shows against the <c>load</c> scenario is how much of the schedule error is the
/// generator's and how much the machine it shares.
/// </summary>
public static class GeneratorScenario
{
    public sealed record Result(
        double AchievedRate, List<double> ScheduleErrorMs, int Errors, double GcPauseMsPerS, double CollectionsPerS);

    public static async Task<Result> RunAsync(Uri simulator, double rate, double seconds)
    {
        using var http = new HttpClient(ProviderHttpHandler.Create(kernelStamps: true)) { Timeout = Timeout.InfiniteTimeSpan };
        var baseUrl = simulator.ToString().TrimEnd('/');
        var connection = new ConnectionSnapshot("bench", "bench", ConnectionTypes.OpenAiCompat, baseUrl, 600, 0, 1024);
        var car = new CarSnapshot("bench", "bench", "instant?tokens=16", new JsonObject(), connection);
        var target = new LoadTarget(car, connection, OpenAiChatProvider.Instance, new ProviderTarget(connection.Type, baseUrl, null),
            new ProviderStreamClient(http, RaceLimits.Default, TimeProvider.System), RaceLimits.Default.ChecksBudget,
            RaceLimits.Default.MaxOutputChars);
        var test = new PreparedTest(new TestSnapshot("bench", 1, "bench", null, "bench prompt", null, null));
        var runner = new LoadStepRunner(_ => test, t => new LoadRequest(target, t));
        var step = new LoadStep(0, StepKinds.Constant, rate, 1024, seconds + 1, null, 1, 0, 1, 1);
        // Only the numbers are kept, as the Api's step tally keeps them: no request's result outlives its end.
        var scheduleErrors = new List<double>();
        var errors = 0;
        var (pause, collections) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0));
        await runner.RunAsync(step, r =>
        {
            if (!r.Measured) return;
            lock (scheduleErrors)
            {
                scheduleErrors.Add(r.ScheduleErrorMs);
                if (r.Status == LoadStatus.Error) errors++;
            }
        }, CancellationToken.None);
        var pauseMs = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;
        return new Result(scheduleErrors.Count / seconds, [.. scheduleErrors], errors, pauseMs / (seconds + 1),
            (GC.CollectionCount(0) - collections) / (seconds + 1));
    }
}
