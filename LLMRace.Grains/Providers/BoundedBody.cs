using System.Text;

namespace LLMRace.Grains.Providers;

/// <summary>Reads of a response body that stop at a bound, so a server cannot make LLMRace hold what it sends whole.</summary>
public static class BoundedBody
{
    /// <summary>At most <paramref name="maxBytes"/> of the body as text, for an error message: the rest is left unread.</summary>
    public static async Task<string> ReadPrefixAsync(HttpContent content, int maxBytes, CancellationToken ct)
    {
        var (bytes, _) = await ReadAsync(content, maxBytes, ct);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The whole body as text; throws <see cref="ProviderStreamException"/> naming <paramref name="what"/> when it is longer than
    /// the bound.</summary>
    public static async Task<string> ReadAllAsync(HttpContent content, int maxBytes, string what, CancellationToken ct)
    {
        var (bytes, complete) = await ReadAsync(content, maxBytes, ct);
        if (!complete) throw new ProviderStreamException($"the server's {what} is larger than {maxBytes / 1024} KiB, more than LLMRace " +
            $"reads");
        return Encoding.UTF8.GetString(bytes);
    }

    private static async Task<(byte[] Bytes, bool Complete)> ReadAsync(HttpContent content, int maxBytes, CancellationToken ct)
    {
        await using var body = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[Math.Min(maxBytes + 1, 81920)];
        using var kept = new MemoryStream();
        int read;
        while (kept.Length <= maxBytes && (read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length,
            maxBytes + 1 - kept.Length)), ct)) > 0)
            kept.Write(buffer, 0, read);
        var complete = kept.Length <= maxBytes;
        return (complete ? kept.ToArray() : kept.GetBuffer()[..maxBytes], complete);
    }
}
