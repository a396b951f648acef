namespace LLMRace.Grains.Providers;

/// <summary>
/// A response body read through a bound on line length: SSE and NDJSON parsers buffer a line until its end, so a
/// server that never sends one would otherwise fill memory. A longer line ends the read with an error.
/// </summary>
public sealed class LineLimitedStream(Stream inner, int maxLineBytes) : Stream
{
    private long _lineBytes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var read = await inner.ReadAsync(buffer, ct);
        return Count(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    private int Count(ReadOnlySpan<byte> read)
    {
        var length = read.Length;
        while (true)
        {
            var newline = read.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _lineBytes += read.Length;
                break;
            }
            if (_lineBytes + newline > maxLineBytes) throw TooLong();
            _lineBytes = 0;
            read = read[(newline + 1)..];
        }
        if (_lineBytes > maxLineBytes) throw TooLong();
        return length;
    }

    private ProviderStreamException TooLong() =>
        new($"the server sent a stream line longer than {maxLineBytes / 1024} KiB: not a stream this connection type can read");

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
