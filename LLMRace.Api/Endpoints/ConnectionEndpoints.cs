using System.Diagnostics;
using System.Text.RegularExpressions;
using LLMRace.Api.Infrastructure;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LLMRace.Api.Endpoints;

public sealed record ConnectionInput(
    string? Name, string? Type, string? BaseUrl, string? ApiKey, string? ApiKeyEnvVar,
    double? TimeoutS, int? MaxRetries, int? MaxConcurrency, double? HeadersTimeoutS = null, double? TotalTimeoutS = null);

/// <summary>
/// A connection as the API shows it: whether a key (or base URL credentials) is set and a masked hint, never the
/// secret. <see cref="Notice"/> says what a change did that the caller did not ask for in so many words.
/// </summary>
public sealed record ConnectionView(
    string Id, string Name, string Type, string BaseUrl, bool ApiKeySet, string? ApiKeyHint, string? ApiKeyEnvVar,
        bool BaseUrlCredentialsSet,
    double TimeoutS, double HeadersTimeoutS, double TotalTimeoutS, int MaxRetries, int MaxConcurrency, bool Managed, string CreatedAt,
        string UpdatedAt)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Notice { get; init; }

    public static ConnectionView From(ConnectionRow r) => new(
        r.Id, r.Name, r.Type, r.BaseUrl, r.ApiKeyCipher is { Length: > 0 }, r.ApiKeyHint, r.ApiKeyEnvVar,
            r.BaseUrlCredentialsCipher is { Length: > 0 },
        r.TimeoutS, r.HeadersTimeoutS ?? r.TimeoutS, r.TotalTimeoutS ?? Grains.Contracts.ConnectionSnapshot.DefaultTotalTimeoutS,
        r.MaxRetries, r.MaxConcurrency, r.Managed, r.CreatedAt, r.UpdatedAt);
}

/// <summary>The models a connection's server lists.</summary>
public sealed record ModelList(IReadOnlyList<string> Models);

/// <summary>The garage's Test: reachable (ONLINE) or not, how fast, how many models.</summary>
public sealed record ConnectionTestResult(string Status, double LatencyMs, int ModelCount, string? Error);

/// <summary>Verify Runtime: where the key comes from, what discovery found, and hints for what to fix.</summary>
public sealed record VerifyResult(
    string ConnectionId, string Type, string BaseUrl, string AuthSource, bool AuthPresent, DiscoveryView Discovery,
        IReadOnlyList<string> Hints);

public sealed record DiscoveryView(string Status, IReadOnlyList<string> Models, string? Error, string? Failure, int? HttpStatus,
    double LatencyMs);

public static partial class ConnectionEndpoints
{
    public static void MapConnectionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/connections").WithTags("Connections");

        group.MapGet("/", async (GarageStore garage) => (await garage.ListConnectionsAsync()).Select(ConnectionView.From));

        group.MapGet("/{id}", async Task<Results<Ok<ConnectionView>, ProblemHttpResult>> (string id, GarageStore garage) =>
            await garage.GetConnectionAsync(id) is { } row ? TypedResults.Ok(ConnectionView.From(row)) : Problems.NotFound("connection",
                id));

        group.MapPost("/", async Task<Results<Created<ConnectionView>, ValidationProblem>> (ConnectionInput input, GarageStore garage,
            SecretProtector secrets, ApiKeyEnvVars envVars, ConnectionTypeRegistry types,
            TimeProvider time) =>
        {
            var now = time.NowText();
            var row = new ConnectionRow { Id = Ids.New("conn"), CreatedAt = now, UpdatedAt = now };
            if (Apply(input, row, secrets, envVars, types, creating: true, out _) is { } invalid) return invalid;
            await garage.InsertConnectionAsync(row);
            return TypedResults.Created($"/api/connections/{row.Id}", ConnectionView.From(row));
        });

        group.MapPut("/{id}", async Task<Results<Ok<ConnectionView>, ValidationProblem, ProblemHttpResult>> (string id,
            ConnectionInput input, GarageStore garage, SecretProtector secrets, ApiKeyEnvVars envVars,
            ConnectionTypeRegistry types, TimeProvider time) =>
        {
            if (await garage.GetConnectionAsync(id) is not { } row) return Problems.NotFound("connection", id);
            if (Apply(input, row, secrets, envVars, types, creating: false, out var notice) is { } invalid) return invalid;
            row.UpdatedAt = time.NowText();
            if (!await garage.UpdateConnectionAsync(row)) return Problems.NotFound("connection", id);
            return TypedResults.Ok(ConnectionView.From(row) with { Notice = notice });
        });

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, GarageStore garage) =>
        {
            if (await garage.GetConnectionAsync(id) is null) return Problems.NotFound("connection", id);
            var cars = await garage.CountCarsOfConnectionAsync(id);
            if (cars > 0) return Problems.Conflict($"connection '{id}' is used by {cars} car(s); delete or move them first");
            await garage.DeleteConnectionAsync(id);
            return TypedResults.NoContent();
        });

        group.MapGet("/{id}/models", async Task<Results<Ok<ModelList>, ProblemHttpResult>> (string id, GarageStore garage,
            RaceEngine engine, CancellationToken ct) =>
        {
            if (await garage.GetConnectionAsync(id) is not { } row) return Problems.NotFound("connection", id);
            var discovery = await RuntimeDiagnostics.DiscoverAsync(row, engine, ct);
            return discovery.Error is null
                ? TypedResults.Ok(new ModelList(discovery.Models))
                : TypedResults.Problem(statusCode: 502, title: "Model discovery failed", detail: discovery.Error);
        });

        group.MapPost("/{id}/test", async Task<Results<Ok<ConnectionTestResult>, ProblemHttpResult>> (string id, GarageStore garage,
            RaceEngine engine, CancellationToken ct) =>
        {
            if (await garage.GetConnectionAsync(id) is not { } row) return Problems.NotFound("connection", id);
            var discovery = await RuntimeDiagnostics.DiscoverAsync(row, engine, ct);
            return TypedResults.Ok(new ConnectionTestResult(discovery.Error is null ? "ONLINE" : "OFFLINE", discovery.LatencyMs,
                discovery.Models.Count, discovery.Error));
        });

        group.MapPost("/{id}/verify", async Task<Results<Ok<VerifyResult>, ProblemHttpResult>> (string id, GarageStore garage,
            RaceEngine engine, CancellationToken ct) =>
        {
            if (await garage.GetConnectionAsync(id) is not { } row) return Problems.NotFound("connection", id);
            string source;
            bool present;
            try
            {
                var (s, key) = ApiKeyResolver.Resolve(row, engine.Secrets, engine.EnvVars);
                (source, present) = (s, !string.IsNullOrEmpty(key));
            }
            catch (SecretUnreadableException)
            {
                (source, present) = (AuthSources.EncryptedDb, false);
            }
            var discovery = await RuntimeDiagnostics.DiscoverAsync(row, engine, ct);
            return TypedResults.Ok(new VerifyResult(row.Id, row.Type, row.BaseUrl, source, present,
                new DiscoveryView(
                    discovery.Error is null ? "ok" : "failed", discovery.Models, discovery.Error,
                    discovery.Failure == ProviderFailure.None ? null : discovery.Failure.ToString().ToLowerInvariant(),
                        discovery.StatusCode, discovery.LatencyMs),
                RuntimeDiagnostics.Hints(row, discovery, source, present, engine)));
        });
    }

    /// <summary>
    /// Validates the input onto the row. A key saved for one origin never follows the connection to another: when the
    /// base URL's scheme, host or port changes and no key comes with the change, the stored key (and any credentials
    /// the old URL had) is dropped, and <paramref name="notice"/> says so.
    /// </summary>
    private static ValidationProblem? Apply(ConnectionInput input, ConnectionRow row, SecretProtector secrets, ApiKeyEnvVars envVars,
        ConnectionTypeRegistry types,
        bool creating, out string? notice)
    {
        notice = null;
        var errors = new Errors();
        var name = errors.Require("name", input.Name, 100);
        var type = input.Type?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(type)) errors.Add("type", $"required: one of {string.Join(", ", types.Keys)}");
        else if (types.Find(type) is null) errors.Add("type",
            $"'{input.Type}' is not a connection type: use one of {string.Join(", ", types.Keys)}");
        var baseUrl = errors.Require("base_url", input.BaseUrl, 2000);
        string? credentials = null;
        if (baseUrl is not null)
        {
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                errors.Add("base_url", $"'{BaseUrlCredentials.Split(baseUrl).Url}' is not an http(s) URL, e.g. http://127.0.0.1:11434");
            else
            {
                (baseUrl, credentials) = BaseUrlCredentials.Split(baseUrl);
                if (credentials is not null && ApiKeyResolver.HasControlCharacters(credentials))
                    errors.Add("base_url", "its user:password holds a control character");
            }
        }
        var apiKey = input.ApiKey?.Trim();
        if (apiKey is { Length: > 4096 }) errors.Add("api_key", "is longer than 4096 characters");
        else if (apiKey is not null && ApiKeyResolver.HasControlCharacters(apiKey))
            errors.Add("api_key", "holds a control character (a line break or tab?): paste the key alone");
        var envVar = string.IsNullOrWhiteSpace(input.ApiKeyEnvVar) ? null : input.ApiKeyEnvVar.Trim();
        if (envVar is not null && !EnvVarName().IsMatch(envVar)) errors.Add("api_key_env_var",
            $"'{envVar}' is not an environment variable name");
        else if (envVar is not null && !envVars.IsAllowed(envVar))
            errors.Add("api_key_env_var",
                $"'{envVar}' is not one of the variables a key may come from: {string.Join(", ", envVars.Allowed.Order())} (an operator " +
                    $"adds more with LLMRACE_API_KEY_ENV_VARS)");
        var timeout = errors.Range("timeout_s", input.TimeoutS, creating ? 120 : row.TimeoutS, 1, 3600);
        double? headersTimeout = input.HeadersTimeoutS is null ? (creating ? null : row.HeadersTimeoutS) : errors.Range("headers_timeout_s",
            input.HeadersTimeoutS, 0, 1, 3600);
        double? totalTimeout = input.TotalTimeoutS is null ? (creating ? null : row.TotalTimeoutS) : errors.Range("total_timeout_s",
            input.TotalTimeoutS, 0, 1, 86400);
        var retries = errors.Range("max_retries", input.MaxRetries, creating ? 2 : row.MaxRetries, 0, 10);
        var concurrency = errors.Range("max_concurrency", input.MaxConcurrency, creating ? 1 : row.MaxConcurrency, 1,
            ConnectionLimiter.MaxLimit);
        if (errors.Any) return Problems.Invalid(errors.ByField);

        var moved = !creating && BaseUrlCredentials.Origin(row.BaseUrl) != BaseUrlCredentials.Origin(baseUrl!);
        if (moved)
        {
            var dropped = new List<string>();
            if (apiKey is null && row.ApiKeyCipher is { Length: > 0 }) dropped.Add("API key");
            if (credentials is null && row.BaseUrlCredentialsCipher is { Length: > 0 }) dropped.Add("base URL credentials");
            if (apiKey is null) (row.ApiKeyCipher, row.ApiKeyHint) = (null, null);
            row.BaseUrlCredentialsCipher = null;
            if (dropped.Count > 0)
                notice = $"The base URL moved to another origin, so the stored {string.Join(" and ", dropped)} (saved for " +
                    $"{BaseUrlCredentials.Origin(row.BaseUrl)}) " +
                    "were removed: enter the key again to use it there.";
        }
        row.Name = name!;
        row.Type = type!;
        row.BaseUrl = baseUrl!;
        row.ApiKeyEnvVar = envVar;
        row.TimeoutS = timeout;
        row.HeadersTimeoutS = headersTimeout;
        row.TotalTimeoutS = totalTimeout;
        row.MaxRetries = retries;
        row.MaxConcurrency = concurrency;
        // api_key: absent keeps the stored key, "" removes it, a value replaces it. Credentials in the URL replace the stored ones.
        if (apiKey is not null)
        {
            row.ApiKeyCipher = apiKey.Length == 0 ? null : secrets.Protect(apiKey);
            row.ApiKeyHint = apiKey.Length == 0 ? null : SecretProtector.Hint(apiKey);
        }
        if (credentials is not null) row.BaseUrlCredentialsCipher = secrets.Protect(credentials);
        return null;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvVarName();
}
