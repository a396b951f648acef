namespace LLMRace.Grains.Storage;

/// <summary>
/// Wall-clock timestamps as stored and sent: UTC, ISO 8601, milliseconds. The time itself comes from the injected
/// <see cref="TimeProvider"/> (the system's in the app, a fake one in tests); this only writes it down.
/// </summary>
public static class Clock
{
    public static string Text(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
        System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A time as <see cref="Text"/> wrote it, back as UTC.</summary>
    public static DateTime Parse(string text) => DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture,
        System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

    public static DateTime UtcNow(this TimeProvider time) => time.GetUtcNow().UtcDateTime;

    public static string NowText(this TimeProvider time) => Text(time.UtcNow());
}

public static class Ids
{
    /// <summary>Opaque, time-ordered ids with a prefix saying what they name (run_…, car_…).</summary>
    public static string New(string prefix) => $"{prefix}_{Guid.CreateVersion7():N}";
}
