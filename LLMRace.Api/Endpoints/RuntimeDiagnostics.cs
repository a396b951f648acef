using System.Net.Sockets;
using System.Security.Authentication;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;

namespace LLMRace.Api.Endpoints;

/// <summary>What discovery found, with the failure classified so a person can be told what to do.</summary>
public sealed record Discovery(IReadOnlyList<string> Models, string? Error, ProviderFailure Failure, int? StatusCode, double LatencyMs);

/// <summary>Model discovery and Verify Runtime: auth source, discovery, and hints for the known failures.</summary>
public static class RuntimeDiagnostics
{
    public static async Task<Discovery> DiscoverAsync(ConnectionRow row, RaceEngine engine, CancellationToken ct)
    {
        var provider = engine.ConnectionTypes.ProviderFor(row.Type);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        double Elapsed() => Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
        try
        {
            var target = engine.TargetOf(row);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(DiscoveryTimeoutS(row)));
            using var request = provider.BuildModelListRequest(target);
            using var response = await engine.CreateProviderClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead,
                timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var list = await BoundedBody.ReadAllAsync(response.Content, engine.Limits.MaxModelListBytes, "model list", timeout.Token);
                return new Discovery(provider.ParseModelList(list), null, ProviderFailure.None, status, Elapsed());
            }
            if (status is >= 300 and < 400)
                return new Discovery([], ProviderHttpException.Redirect(response).Message, ProviderFailure.Redirect, status, Elapsed());
            var body = await BoundedBody.ReadPrefixAsync(response.Content, engine.Limits.MaxErrorBodyBytes, timeout.Token);
            var failure = ProviderAdvice.ForStatus(status, body);
            return new Discovery([], $"HTTP {status} from {request.RequestUri}: {Excerpt.Of(body)}", failure, status, Elapsed());
        }
        catch (SecretUnreadableException e)
        {
            return new Discovery([], e.Message, ProviderFailure.KeyUnreadable, null, 0);
        }
        catch (ProviderStreamException e)
        {
            return new Discovery([], e.Message, ProviderFailure.BadResponse, null, Elapsed());
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Discovery([], $"no answer within {DiscoveryTimeoutS(row):0.#} s", ProviderFailure.Timeout, null,
                Elapsed());
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException tls)
        {
            return new Discovery([], $"TLS handshake failed: {tls.Message}", ProviderFailure.Tls, null, Elapsed());
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return new Discovery([], $"connection refused: nothing is listening at {row.BaseUrl}", ProviderFailure.Refused, null,
                Elapsed());
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.HostNotFound
            or SocketError.TryAgain or SocketError.NoData })
        {
            var host = Uri.TryCreate(row.BaseUrl, UriKind.Absolute, out var u) ? u.Host : row.BaseUrl;
            return new Discovery([], $"the host name {host} does not resolve", ProviderFailure.UnknownHost, null, Elapsed());
        }
        catch (HttpRequestException e)
        {
            return new Discovery([], $"cannot reach the server: {e.Message}", ProviderFailure.Other, null, Elapsed());
        }
        catch (System.Text.Json.JsonException)
        {
            return new Discovery([], "the server's model list is not the JSON this connection type expects: check the type",
                ProviderFailure.BadResponse, null, Elapsed());
        }
    }

    public static IReadOnlyList<string> Hints(ConnectionRow row, Discovery discovery, string authSource, bool authPresent,
        RaceEngine engine)
    {
        var envVars = engine.EnvVars;
        var hints = new List<string>();
        if (authSource == AuthSources.EnvVar && row.ApiKeyEnvVar is { } named && !envVars.IsAllowed(named.Trim()))
            hints.Add($"The environment variable {named} is not one a key may come from, so no key is sent: name one of " +
                $"{string.Join(", ", envVars.Allowed.Order())}, or enter the key on this connection.");
        var facts = new ConnectionFacts(row.Type, row.BaseUrl, DiscoveryTimeoutS(row), authPresent,
            authSource == AuthSources.EnvVar ? row.ApiKeyEnvVar : null, engine.ConnectionTypes.Find(row.Type)?.BaseUrlAdvice ?? "");
        hints.AddRange(ProviderAdvice.Hints(discovery.Failure, facts));
        if (discovery.Failure == ProviderFailure.None && discovery.Models.Count == 0)
            hints.Add("The server lists no models: load or pull one, or type the model name by hand on the car.");
        if (discovery.Failure != ProviderFailure.None)
            hints.Add("Model discovery is optional: a car can always name its model by hand.");
        return hints;
    }

    private static double DiscoveryTimeoutS(ConnectionRow row) => Math.Clamp(row.TimeoutS, 1, 30);
}
