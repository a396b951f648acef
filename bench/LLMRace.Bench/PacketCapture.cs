using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace LLMRace.Bench;

/// <summary>
/// An independent truth for the fidelity scenario: tcpdump's capture of what the Simulator sends on loopback, stamped by
/// the kernel (nanoseconds). Each response is found by its <c>x-sim-request-id</c> header, and its content chunks
/// (<c>"content":"…"</c> of OpenAI's stream) in the segments that follow on the same connection.
/// </summary>
public sealed class PacketCapture : IAsyncDisposable
{
    private readonly Process _tcpdump;
    private readonly string _file;

    private PacketCapture(Process tcpdump, string file) { _tcpdump = tcpdump; _file = file; }

    /// <summary>Starts capturing the segments sent from <paramref name="serverPort"/>; null when tcpdump cannot run here.</summary>
    public static async Task<PacketCapture?> StartAsync(int serverPort)
    {
        var file = Path.Combine(Path.GetTempPath(), $"llmrace-bench-{Guid.NewGuid():N}.pcap");
        var start = new ProcessStartInfo("tcpdump", $"-i lo -U -n -s 0 --time-stamp-precision=nano -w {file} tcp and src port {serverPort}")
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
    public async Task<Dictionary<string, List<long>>> StopAsync()
    {
        // SIGINT: tcpdump writes what it holds and exits.
        Process.Start("kill", $"-INT {_tcpdump.Id}")?.WaitForExit();
        await _tcpdump.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return Chunks(await File.ReadAllBytesAsync(_file));
    }

    private static Dictionary<string, List<long>> Chunks(byte[] pcap)
    {
        var chunks = new Dictionary<string, List<long>>();
        var current = new Dictionary<int, string>();
        var link = BinaryPrimitives.ReadInt32LittleEndian(pcap.AsSpan(20));
        var linkHeader = link switch { 1 => 14, 113 => 16, 276 => 20, 0 => 4, _ => throw new InvalidDataException($"link type {link}") };
        for (var at = 24; at + 16 <= pcap.Length;)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at));
            var fraction = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 4));
            var captured = BinaryPrimitives.ReadInt32LittleEndian(pcap.AsSpan(at + 8));
            var packet = pcap.AsSpan(at + 16, Math.Min(captured, pcap.Length - at - 16));
            at += 16 + captured;
            var ns = seconds * 1_000_000_000L + fraction;
            if (packet.Length < linkHeader + 20) continue;
            var ip = packet[linkHeader..];
            int ipHeader;
            if (ip[0] >> 4 == 4) ipHeader = (ip[0] & 0xF) * 4;
            else if (ip[0] >> 4 == 6) ipHeader = 40;
            else continue;
            if (ip.Length < ipHeader + 20) continue;
            var tcp = ip[ipHeader..];
            var clientPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
            var tcpHeader = (tcp[12] >> 4) * 4;
            if (tcp.Length <= tcpHeader) continue;
            var payload = Encoding.ASCII.GetString(tcp[tcpHeader..]);
            var id = payload.IndexOf("x-sim-request-id: ", StringComparison.OrdinalIgnoreCase);
            if (id >= 0)
            {
                var end = payload.IndexOf('\r', id);
                current[clientPort] = payload[(id + 18)..(end < 0 ? payload.Length : end)].Trim();
                chunks[current[clientPort]] = [];
            }
            if (!current.TryGetValue(clientPort, out var request)) continue;
            for (var i = payload.IndexOf("\"content\":\"", StringComparison.Ordinal); i >= 0;
                i = payload.IndexOf("\"content\":\"", i + 1, StringComparison.Ordinal))
                if (i + 11 < payload.Length && payload[i + 11] != '"') chunks[request].Add(ns);
        }
        return chunks;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_tcpdump.HasExited) { try { _tcpdump.Kill(); } catch (InvalidOperationException) { } }
        await Task.Yield();
        try { File.Delete(_file); } catch (IOException) { }
        _tcpdump.Dispose();
    }
}
