using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LLMRace.Grains.Timing;

namespace LLMRace.Tests.Unit;

/// <summary>
/// A real loopback connection read and written through <see cref="StampedSocketStream"/>: each read carries the kernel's
/// receive stamp, the request's send the kernel's transmit stamp, and through TLS every decrypted chunk the stamp of the
/// read that completed it — never earlier than its bytes were sent.
/// </summary>
public sealed class StampedSocketStreamTests
{
    // The kernel stamps CLOCK_REALTIME; its conversion onto the stopwatch's clock is exact to a few microseconds.
    private static readonly long ConversionBound = Stopwatch.Frequency / 1000;

    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        Assert.True(KernelStamping.EnsureOn());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        return (client, await listener.AcceptSocketAsync());
    }

    /// <summary>A loopback connection read through a stamped stream, with the stamps asked for, and its server's end.</summary>
    /// <summary>A stamped client stream and the server socket it is connected to, closed together.</summary>
    private sealed record StampedPair(StampedSocketStream Stream, Socket Server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stream.DisposeAsync();
            Server.Dispose();
        }
    }

    /// <summary>The server answers and the client reads it.</summary>
    private static async Task AnswerAsync(StampedPair pair)
    {
        await pair.Server.SendAsync("HTTP/1.1 200 OK\r\n"u8.ToArray());
        Assert.True(await pair.Stream.ReadAsync(new byte[64]) > 0);
    }

    private static async Task<StampedPair> StampedPairAsync(bool receiveStamps, bool transmitStamps = false)
    {
        var (socket, server) = await ConnectedPairAsync();
        if (receiveStamps) Assert.True(StampedSocketStream.TryEnable(socket));
        if (transmitStamps) Assert.True(StampedSocketStream.TryEnableTransmitStamps(socket));
        return new StampedPair(new StampedSocketStream(socket, transmitStamps), server);
    }

    [Fact]
    public async Task A_loopback_read_carries_the_kernels_stamp_taken_before_the_reader_had_the_bytes_and_partial_reads_keep_order()
    {
        await using var pair = await StampedPairAsync(receiveStamps: true);
        var (stream, server) = pair;
        var stamps = stream.Stamps;

        var reading = stream.ReadAsync(new byte[3]).AsTask();
        await server.SendAsync("abcdef"u8.ToArray());
        Assert.Equal(3, await reading);
        var after = Stopwatch.GetTimestamp();
        Assert.Equal(0, stamps.Unstamped);
        Assert.Equal(1, stamps.Reads);
        Assert.True(stamps.LastStamp <= after, $"a stamp later than the read that returned it: {(stamps.LastStamp - after) / 1e6} ms");
        var buffer = new byte[16];
        Assert.Equal(3, await stream.ReadAsync(buffer));
        Assert.Equal("def"u8.ToArray(), buffer[..3]);
        Assert.Equal(2, stamps.Reads);

        server.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(buffer));
        Assert.Equal(0, stamps.Unstamped);
    }

    [Fact]
    public async Task A_send_binds_the_scope_to_its_connection_and_is_timed_when_its_last_byte_left_by_the_kernels_transmit_stamp()
    {
        await using var pair = await StampedPairAsync(receiveStamps: true, transmitStamps: true);
        var (stream, server) = pair;
        var stamps = SocketStamps.Current = new SocketStamps();
        Assert.Null(stamps.SentAt);

        var before = Stopwatch.GetTimestamp();
        await stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        var returned = Stopwatch.GetTimestamp();
        // On loopback the segment is out (and stamped) by the time the send returns.
        Assert.True(stamps.SentByKernel);
        Assert.InRange(stamps.SentAt!.Value, before - ConversionBound, returned + ConversionBound);

        var request = new byte[64];
        Assert.Equal(18, await server.ReceiveAsync(request));
        await server.SendAsync("HTTP/1.1 200 OK\r\n"u8.ToArray());
        // Read in a flow of its own, as the HTTP client reads ahead on a pooled connection: the scope has the stamps all the same.
        await Task.Run(async () =>
        {
            SocketStamps.Current = new SocketStamps();
            Assert.True(await stream.ReadAsync(new byte[64]) > 0);
        });
        Assert.Equal(1, stamps.Reads);
        Assert.True(stamps.SentAt <= stamps.LastStamp, "the request left after its answer arrived");
        await server.SendAsync("x"u8.ToArray());
        Assert.Equal(1, await stream.ReadAsync(new byte[64]));
        Assert.Equal(2, stamps.Reads);
    }

    [Fact]
    public async Task Without_transmit_stamps_a_send_is_timed_when_its_send_call_began()
    {
        await using var pair = await StampedPairAsync(receiveStamps: true);
        var (stream, server) = pair;
        var stamps = SocketStamps.Current = new SocketStamps();

        var before = Stopwatch.GetTimestamp();
        await stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        var returned = Stopwatch.GetTimestamp();
        await AnswerAsync(pair);
        Assert.False(stamps.SentByKernel);
        Assert.InRange(stamps.SentAt!.Value, before, returned);
    }

    [Fact]
    public async Task A_socket_without_receive_stamps_counts_its_reads_as_unstamped_so_the_response_is_timed_in_user_space()
    {
        await using var pair = await StampedPairAsync(receiveStamps: false);
        var (stream, server) = pair;
        var stamps = SocketStamps.Current = new SocketStamps();
        await stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        await AnswerAsync(pair);
        Assert.Equal(0, stamps.Reads);
        Assert.Equal(1, stamps.Unstamped);
        Assert.Equal(0, stamps.LastStamp);
    }

    [Fact]
    public async Task A_tls_handshake_record_does_not_bind_the_scope_of_whoever_asked_for_the_connection_a_request_does()
    {
        await using var pair = await StampedPairAsync(receiveStamps: true);
        var (stream, server) = pair;
        var stamps = SocketStamps.Current = new SocketStamps();

        await stream.WriteAsync(new byte[] { 22, 3, 1, 0, 1, 1 });
        Assert.Null(stamps.SentAt);
        await stream.WriteAsync(new byte[] { 23, 3, 3, 0, 1, 1 });
        Assert.NotNull(stamps.SentAt);
    }

    [Fact]
    public async Task Through_tls_every_chunk_carries_the_stamp_of_the_read_that_completed_it_never_earlier_than_it_was_sent()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var send = System.Threading.Channels.Channel.CreateUnbounded<int>();
        var sentAt = new long[5];
        var serving = ServeChunkedOverTlsAsync(listener, send.Reader, sentAt);

        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = StampedSocketStream.ConnectAsync,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        var stamps = SocketStamps.Current = new SocketStamps();
        using var response = await http.GetAsync($"https://localhost:{port}/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.True(stamps.SentByKernel, "the request under TLS was not stamped by the kernel");
        await using var body = await response.Content.ReadAsStreamAsync();
        var text = new StringBuilder();
        var buffer = new byte[256];
        for (var i = 0; i < sentAt.Length; i++)
        {
            var readsBefore = stamps.Reads;
            await send.Writer.WriteAsync(i);
            var chunk = $"data: {i}\n\n";
            while (!text.ToString().EndsWith(chunk, StringComparison.Ordinal))
            {
                var read = await body.ReadAsync(buffer);
                Assert.True(read > 0, "the stream ended early");
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            var had = Stopwatch.GetTimestamp();
            Assert.True(stamps.Reads > readsBefore, $"chunk {i} had no stamped read of its own");
            Assert.Equal(0, stamps.Unstamped);
            Assert.True(stamps.LastStamp >= sentAt[i] - ConversionBound,
                $"chunk {i} stamped {(sentAt[i] - stamps.LastStamp) * 1000.0 / Stopwatch.Frequency:0.000} ms before it was sent");
            Assert.True(stamps.LastStamp <= had, $"chunk {i} stamped after the reader had it: {(stamps.LastStamp - had) * 1000.0 / Stopwatch.Frequency:0.000} ms, reads {stamps.Reads}, before {readsBefore}");
        }
        send.Writer.Complete();
        await serving;
    }

    /// <summary>One HTTPS response whose chunks go out one by one, each when the test says, with the time it began to go.</summary>
    private static async Task ServeChunkedOverTlsAsync(TcpListener listener, System.Threading.Channels.ChannelReader<int> send, long[] sentAt)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var socket = await listener.AcceptSocketAsync();
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsServerAsync(certificate);
        var received = new StringBuilder();
        var buffer = new byte[1024];
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            received.Append(Encoding.ASCII.GetString(buffer, 0, await tls.ReadAsync(buffer)));
        await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
        await foreach (var i in send.ReadAllAsync())
        {
            var data = $"data: {i}\n\n";
            sentAt[i] = Stopwatch.GetTimestamp();
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:x}\r\n{data}\r\n"));
        }
        await tls.WriteAsync("0\r\n\r\n"u8.ToArray());
    }
}
