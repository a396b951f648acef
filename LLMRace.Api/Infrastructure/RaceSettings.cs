using System.ComponentModel.DataAnnotations;
using LLMRace.Grains.Limits;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Everything the Api reads from LLMRACE_* settings (environment variables, or any configuration source), bound and
/// checked once at start: a value out of range stops the start with one line naming it. The README's configuration
/// table documents these properties.
/// </summary>
public sealed class RaceSettings
{
    [ConfigurationKeyName("LLMRACE_DB_PATH")]
    public string DbPath { get; set; } = Path.Combine("data", "llmrace.db");

    /// <summary>
    /// The shared store: PostgreSQL at the connection string named <see cref="SharedStoreName"/> (Aspire passes it as
    /// ConnectionStrings__llmrace-db). Null: the embedded SQLite file at <see cref="DbPath"/>.
    /// </summary>
    public string? SharedStoreConnectionString { get; private set; }

    public const string SharedStoreName = "llmrace-db";

    /// <summary>
    /// The cluster's Redis (connection string named <see cref="ClusterName"/>): silos sharing it find each other there
    /// and form one Orleans cluster, keep the streams' subscriptions and the reminders there. Null: a single silo.
    /// </summary>
    public string? ClusterConnectionString { get; private set; }

    public const string ClusterName = "llmrace-redis";

    /// <summary>The address this silo gives the others of its cluster (default: the machine's own, as Orleans picks it).</summary>
    [ConfigurationKeyName("LLMRACE_SILO_ADDRESS")]
    public string? SiloAddress { get; set; }

    [ConfigurationKeyName("LLMRACE_SECRET_KEY")]
    public string? SecretKey { get; set; }

    [ConfigurationKeyName("LLMRACE_ACCESS_TOKEN")]
    public string? AccessToken { get; set; }

    [ConfigurationKeyName("LLMRACE_ALLOW_ANONYMOUS")]
    public bool AllowAnonymous { get; set; }

    [ConfigurationKeyName("LLMRACE_CORS_ORIGINS")]
    public string? CorsOrigins { get; set; }

    [ConfigurationKeyName("LLMRACE_ALLOWED_HOSTS")]
    public string? AllowedHosts { get; set; }

    [ConfigurationKeyName("LLMRACE_API_KEY_ENV_VARS")]
    public string? ApiKeyEnvVars { get; set; }

    [ConfigurationKeyName("LLMRACE_SIMULATOR_URL")]
    public string? SimulatorUrl { get; set; }

    /// <summary>Time provider streams by the kernel's receive stamps where the platform gives them (Linux); false: user space.</summary>
    [ConfigurationKeyName("LLMRACE_KERNEL_STAMPS")]
    public bool KernelStamps { get; set; } = true;

    [ConfigurationKeyName("LLMRACE_SILO_PORT"), Range(1, 65535, ErrorMessage = "LLMRACE_SILO_PORT must be from {1} to {2}")]
    public int SiloPort { get; set; } = 11111;

    [ConfigurationKeyName("LLMRACE_MAX_OUTPUT_CHARS"), Range(1_000, 100_000_000,
        ErrorMessage = "LLMRACE_MAX_OUTPUT_CHARS must be from {1} to {2}")]
    public int MaxOutputChars { get; set; } = RaceLimits.Default.MaxOutputChars;

    [ConfigurationKeyName("LLMRACE_MAX_STREAM_LINE_KIB"), Range(16, 64 * 1024,
        ErrorMessage = "LLMRACE_MAX_STREAM_LINE_KIB must be from {1} to {2}")]
    public int MaxStreamLineKib { get; set; } = RaceLimits.Default.MaxStreamLineBytes / 1024;

    [ConfigurationKeyName("LLMRACE_CHECKS_BUDGET_MS"), Range(10, 600_000,
        ErrorMessage = "LLMRACE_CHECKS_BUDGET_MS must be from {1} to {2}")]
    public int ChecksBudgetMs { get; set; } = (int)RaceLimits.Default.ChecksBudget.TotalMilliseconds;

    /// <summary>Without a token (and unless told otherwise), the Api stays on this machine and answers to loopback names only.</summary>
    public bool MustStayLocal => string.IsNullOrEmpty(AccessToken) && !AllowAnonymous;

    public RaceLimits Limits => RaceLimits.Default with
    {
        MaxOutputChars = MaxOutputChars,
        MaxStreamLineBytes = MaxStreamLineKib * 1024,
        ChecksBudget = TimeSpan.FromMilliseconds(ChecksBudgetMs),
    };

    public static IReadOnlyList<string> List(string? commaSeparated) =>
        (commaSeparated ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Binds and checks the settings; throws <see cref="InvalidSettingsException"/> naming every bad one.</summary>
    public static RaceSettings From(IConfiguration configuration)
    {
        RaceSettings settings;
        try
        {
            settings = configuration.Get<RaceSettings>() ?? new RaceSettings();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidSettingsException([e.Message]);
        }
        settings.SharedStoreConnectionString = configuration.GetConnectionString(SharedStoreName) is { Length: > 0 } shared ? shared : null;
        settings.ClusterConnectionString = configuration.GetConnectionString(ClusterName) is { Length: > 0 } cluster ? cluster : null;
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(settings, new ValidationContext(settings), results, validateAllProperties: true);
        // A key file is one machine's: silos sharing a store must share the key, or one could not read what another saved.
        if (settings.SharedStoreConnectionString is not null && string.IsNullOrEmpty(settings.SecretKey))
            results.Add(new ValidationResult($"LLMRACE_SECRET_KEY must be set when the store is PostgreSQL (ConnectionStrings:" +
                $"{SharedStoreName}): every silo must read the API keys the others saved"));
        if (settings.ClusterConnectionString is not null && settings.SharedStoreConnectionString is null)
            results.Add(new ValidationResult($"a cluster (ConnectionStrings:{ClusterName}) needs the shared store (ConnectionStrings:" +
                $"{SharedStoreName}): silos on SQLite files of their own would each keep their own runs"));
        if (settings.SiloAddress is not null && !System.Net.IPAddress.TryParse(settings.SiloAddress, out _))
            results.Add(new ValidationResult($"LLMRACE_SILO_ADDRESS must be an IP address, not '{settings.SiloAddress}'"));
        if (results.Count > 0) throw new InvalidSettingsException([.. results.Select(r => r.ErrorMessage!)]);
        return settings;
    }
}

public sealed class InvalidSettingsException(IReadOnlyList<string> problems) : Exception(string.Join("; ", problems));
