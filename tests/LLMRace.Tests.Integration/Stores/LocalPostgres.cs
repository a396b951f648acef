using System.Diagnostics;
using Npgsql;

namespace LLMRace.Tests.Integration.Stores;

/// <summary>
/// A real PostgreSQL server of this machine's own binaries (Debian's postgresql package; .ci/run installs it), in a
/// temporary data folder, on loopback and a port of its own; stopped and deleted on dispose. PostgreSQL refuses to run
/// as root: as root, it runs as the package's postgres user.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asPostgresUser;

    private LocalPostgres(string bin, string dir, int port, bool asPostgresUser)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    /// <summary>The server's superuser database, for making databases.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "llmrace", Database = database }.ToString();

    public static async Task<LocalPostgres> StartAsync(int port, IReadOnlyDictionary<string, string>? settings = null)
    {
        var bin = FindBinaries();
        var dir = Directory.CreateTempSubdirectory("llmrace-pg-").FullName;
        var asPostgresUser = Environment.UserName == "root";
        if (asPostgresUser) await RunAsync("chown", ["postgres:postgres", dir], asPostgresUser: false);
        var server = new LocalPostgres(bin, dir, port, asPostgresUser);
        var data = Path.Combine(dir, "data");
        await server.RunToolAsync("initdb", ["-D", data, "-U", "llmrace", "--auth=trust", "--encoding=UTF8", "--no-sync"]);
        var options = string.Join(' ', new Dictionary<string, string>
        {
            ["port"] = $"{port}", ["listen_addresses"] = "127.0.0.1", ["unix_socket_directories"] = $"'{dir}'",
            ["max_connections"] = "300",
        }.Concat(settings ?? new Dictionary<string, string>()).Select(kv => $"-c {kv.Key}={kv.Value}"));
        await server.RunToolAsync("pg_ctl", ["-D", data, "-l", Path.Combine(dir, "server.log"), "-o", options, "-w", "start"]);
        return server;
    }

    /// <summary>Makes an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try { await RunToolAsync("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"]); }
        catch (InvalidOperationException) { }
        NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private Task RunToolAsync(string tool, string[] args) => RunAsync(Path.Combine(_bin, tool), args, _asPostgresUser);

    private static async Task RunAsync(string file, string[] args, bool asPostgresUser)
    {
        var start = asPostgresUser ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", file, .. args]) : new ProcessStartInfo(file, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {process.ExitCode}: {await error}{await output}");
    }

    private static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("LLMRACE_PG_BIN") is { Length: > 0 } configured) return configured;
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d,
                "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException("PostgreSQL's binaries are not installed: apt-get install -y postgresql (as " +
            ".ci/run does), or set LLMRACE_PG_BIN to the folder holding initdb and pg_ctl");
    }
}
