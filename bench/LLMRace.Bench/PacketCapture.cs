using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace LLMRace.Bench;

/// <summary>
/// An independent truth for the fidelity scenario: tcpdump's capture of the Simulator's connections on loopback, stamped
/// by the kernel (nanoseconds). Each response is found by its <c>x-sim-request-id</c> header, its request in the last
/// segment the client sent on the same connection before it, and its content chunks (<c>"content":"…"</c> of OpenAI's
/// stream) in the segments that follow. Stamps are put on the monotonic clock (<see cref="WallClockTrack"/>); one that fell
/// near a step of the wall clock is null.
/// </summary>
public sealed class PacketCapture : IAsyncDisposable
{
    private readonly Process _tcpdump;
    private readonly string _file;
    private readonly WallClockTrack _clock = new();

    private PacketCapture(Process tcpdump, string file) { _tcpdump = tcpdump; _file = file; }

    /// <summary>One response on the wire: when its request's last segment went, and when each content chunk came (ns).</summary>
    public sealed record Exchange(long? RequestSentNs, List<long?> ChunksNs);

    /// <summary>Starts capturing the segments to and from <paramref name="serverPort"/>; null when tcpdump cannot run here.</summary>
    public static async Task<PacketCapture?> StartAsync(int serverPort)
    {
        var file = Path.Combine(Path.GetTempPath(), $"llmrace-bench-{Guid.NewGuid():N}.pcap");
        var start = new ProcessStartInfo("tcpdump", $"-i lo -U -n -s 0 -B 262144 --time-stamp-precision=nano -w {file} tcp port {serverPort}")
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
        };
        Process? process;
        try { process = Process.Start(start); }
        catch (System.ComponentModel.Win32Exception) { return null; }
        if (process is null) return null;
        var listening = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("listening on") == true) listening.TrySetResult(); };
        process.BeginErrorReadLine();
        if (await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(10))) != listening.Task)
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
            return null;
        }
        return new PacketCapture(process, file);
    }

    /// <summary>Stops the capture and returns, per Simulator request id, the kernel's time (ns) of each content chunk.</summary>
    public async Task<Dictionary<string, Exchange>> StopAsync(int serverPort)
    {
        // SIGINT: tcpdump writes what it holds and exits.
        Process.Start("kill", $"-INT {_tcpdump.Id}")?.WaitForExit();
        await _tcpdump.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _clock.Dispose();
        return Exchanges(await File.ReadAllBytesAsync(_file), serverPort);
    }

    private Dictionary<string, Exchange> Exchanges(byte[] pcap, int serverPort)
    {
        var exchanges = new Dictionary<string, Exchange>();
        var current = new Dictionary<int, string>();
        var lastRequestSegment = new Dictionary<int, long?>();
        var link = BinaryPrimitives.ReadInt32LittleEndian(pcap.AsSpan(20));
        var linkHeader = link switch { 1 => 14, 113 => 16, 276 => 20, 0 => 4, _ => throw new InvalidDataException($"link type {link}") };
        for (var at = 24; at + 16 <= pcap.Length;)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at));
            var fraction = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 4));
            var captured = BinaryPrimitives.ReadInt32LittleEndian(pcap.AsSpan(at + 8));
            var packet = pcap.AsSpan(at + 16, Math.Min(captured, pcap.Length - at - 16));
            at += 16 + captured;
            var ns = _clock.ToMonotonic(seconds * 1_000_000_000L + fraction);
            if (packet.Length < linkHeader + 20) continue;
            var ip = packet[linkHeader..];
            int ipHeader;
            if (ip[0] >> 4 == 4) ipHeader = (ip[0] & 0xF) * 4;
            else if (ip[0] >> 4 == 6) ipHeader = 40;
            else continue;
            if (ip.Length < ipHeader + 20) continue;
            var tcp = ip[ipHeader..];
            var tcpHeader = (tcp[12] >> 4) * 4;
            if (tcp.Length <= tcpHeader) continue;
            if (BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]) == serverPort)
            {
                lastRequestSegment[BinaryPrimitives.ReadUInt16BigEndian(tcp)] = ns;
                continue;
            }
            var clientPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
            var payload = Encoding.ASCII.GetString(tcp[tcpHeader..]);
            var id = payload.IndexOf("x-sim-request-id: ", StringComparison.OrdinalIgnoreCase);
            if (id >= 0)
            {
                var end = payload.IndexOf('\r', id);
                current[clientPort] = payload[(id + 18)..(end < 0 ? payload.Length : end)].Trim();
                exchanges[current[clientPort]] = new Exchange(lastRequestSegment.GetValueOrDefault(clientPort), []);
            }
            if (!current.TryGetValue(clientPort, out var request)) continue;
            for (var i = payload.IndexOf("\"content\":\"", StringComparison.Ordinal); i >= 0;
                i = payload.IndexOf("\"content\":\"", i + 1, StringComparison.Ordinal))
                if (i + 11 < payload.Length && payload[i + 11] != '"') exchanges[request].ChunksNs.Add(ns);
        }
        return exchanges;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_tcpdump.HasExited) { try { _tcpdump.Kill(); } catch (InvalidOperationException) { } }
        _clock.Dispose();
        await Task.Yield();
        try { File.Delete(_file); } catch (IOException) { }
        _tcpdump.Dispose();
    }
}
