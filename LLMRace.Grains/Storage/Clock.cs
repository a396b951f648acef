namespace LLMRace.Grains.Storage;

/// <summary>Wall-clock timestamps as stored and sent: UTC, ISO 8601, milliseconds.</summary>
public static class Clock
{
    public static string Text(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string NowText() => Text(DateTime.UtcNow);
}

public static class Ids
{
    /// <summary>Opaque, time-ordered ids with a prefix saying what they name (run_…, car_…).</summary>
    public static string New(string prefix) => $"{prefix}_{Guid.CreateVersion7():N}";
}
