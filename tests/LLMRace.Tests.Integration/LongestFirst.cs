using Xunit.Abstractions;
using Xunit.Sdk;

namespace LLMRace.Tests.Integration;

/// <summary>
/// Starts the test collections that take longest first (processes killed and restarted, a publish, the browser app),
/// so the short ones fill the time beside them instead of the long ones running on alone at the end.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    private static readonly string[] Long =
    [
        nameof(CrashTests), nameof(Browser.PublishTests), Browser.AppHostCollection.Name,
        nameof(ExposureTests), nameof(SettingsTests), nameof(TelemetrySecretTests), nameof(RunLifecycleTests),
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => Rank(c.DisplayName)).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    /// <summary>A named collection is shown by its name, a class's own as "Test collection for Namespace.Class".</summary>
    private static int Rank(string displayName)
    {
        var at = Array.FindIndex(Long, name => displayName == name || displayName.EndsWith("." + name, StringComparison.Ordinal));
        return at < 0 ? Long.Length : at;
    }
}
