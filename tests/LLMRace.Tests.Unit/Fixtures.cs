namespace LLMRace.Tests.Unit;

/// <summary>
/// The recorded provider streams: a byte-for-byte copy of shared/fixtures/streams (with its SOURCES.md) kept in
/// Fixtures/streams, so a clone anywhere tests on them. LLMRACE_FIXTURES points at another folder of them.
/// </summary>
public static class Fixtures
{
    public static string StreamsFolder { get; } =
        Environment.GetEnvironmentVariable("LLMRACE_FIXTURES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "Fixtures", "streams");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(StreamsFolder, name));
}

/// <summary>A stream that hands out at most a few bytes per read, to split chunks, lines and UTF-8 sequences at every boundary.</summary>
public sealed class TricklingStream(byte[] bytes, int maxRead) : Stream
{
    private int _position;

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(Math.Min(count, maxRead), bytes.Length - _position);
        Array.Copy(bytes, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer, offset,
        count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = Math.Min(Math.Min(buffer.Length, maxRead), bytes.Length - _position);
        bytes.AsSpan(_position, n).CopyTo(buffer.Span);
        _position += n;
        return ValueTask.FromResult(n);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => bytes.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
