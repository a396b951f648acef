using System.Net.Sockets;
using System.Security.Authentication;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;

namespace LLMRace.Api.Endpoints;

/// <summary>What discovery found, with the failure classified so a person can be told what to do.</summary>
public sealed record Discovery(IReadOnlyList<string> Models, string? Error, DiscoveryFailure Failure, int? StatusCode, double LatencyMs);

public enum DiscoveryFailure { None, Refused, UnknownHost, Unauthorized, InvalidHost, Forbidden, NotFound, Redirect, Timeout, Tls,
    KeyUnreadable, BadResponse, Other }

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
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(row.TimeoutS, 1, 30)));
            using var request = provider.BuildModelListRequest(target);
            using var response = await engine.CreateProviderClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead,
                timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var list = await BoundedBody.ReadAllAsync(response.Content, engine.Limits.MaxModelListBytes, "model list", timeout.Token);
                return new Discovery(provider.ParseModelList(list), null, DiscoveryFailure.None, status, Elapsed());
            }
            if (status is >= 300 and < 400)
                return new Discovery([], ProviderHttpException.Redirect(response).Message, DiscoveryFailure.Redirect, status, Elapsed());
            var body = await BoundedBody.ReadPrefixAsync(response.Content, engine.Limits.MaxErrorBodyBytes, timeout.Token);
            var failure = status switch
            {
                401 => DiscoveryFailure.Unauthorized,
                403 when body.Contains("Invalid host header", StringComparison.OrdinalIgnoreCase) => DiscoveryFailure.InvalidHost,
                403 => DiscoveryFailure.Forbidden,
                404 => DiscoveryFailure.NotFound,
                _ => DiscoveryFailure.Other,
            };
            return new Discovery([], $"HTTP {status} from {request.RequestUri}: {Excerpt.Of(body)}", failure, status, Elapsed());
        }
        catch (SecretUnreadableException e)
        {
            return new Discovery([], e.Message, DiscoveryFailure.KeyUnreadable, null, 0);
        }
        catch (ProviderStreamException e)
        {
            return new Discovery([], e.Message, DiscoveryFailure.BadResponse, null, Elapsed());
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Discovery([], $"no answer within {Math.Clamp(row.TimeoutS, 1, 30):0.#} s", DiscoveryFailure.Timeout, null,
                Elapsed());
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException tls)
        {
            return new Discovery([], $"TLS handshake failed: {tls.Message}", DiscoveryFailure.Tls, null, Elapsed());
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return new Discovery([], $"connection refused: nothing is listening at {row.BaseUrl}", DiscoveryFailure.Refused, null,
                Elapsed());
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.HostNotFound
            or SocketError.TryAgain or SocketError.NoData })
        {
            var host = Uri.TryCreate(row.BaseUrl, UriKind.Absolute, out var u) ? u.Host : row.BaseUrl;
            return new Discovery([], $"the host name {host} does not resolve", DiscoveryFailure.UnknownHost, null, Elapsed());
        }
        catch (HttpRequestException e)
        {
            return new Discovery([], $"cannot reach the server: {e.Message}", DiscoveryFailure.Other, null, Elapsed());
        }
        catch (System.Text.Json.JsonException)
        {
            return new Discovery([], "the server's model list is not the JSON this connection type expects: check the type",
                DiscoveryFailure.BadResponse, null, Elapsed());
        }
    }

    private const string DockerHost = "host.docker.internal";

    private const string DockerDesktop = "Windows with Docker Desktop: after changing .env or the network, recreate the " +
        "LLMRace container (docker compose up -d --force-recreate), and let the model server listen beyond 127.0.0.1 (Ollama: " +
        "OLLAMA_HOST=0.0.0.0; Jan and LM Studio: serve on the local network).";

    public static IReadOnlyList<string> Hints(ConnectionRow row, Discovery discovery, string authSource, bool authPresent,
        RaceEngine engine)
    {
        var advice = engine.ConnectionTypes.Find(row.Type)?.BaseUrlAdvice ?? "";
        var envVars = engine.EnvVars;
        var hints = new List<string>();
        if (authSource == AuthSources.EnvVar && row.ApiKeyEnvVar is { } named && !envVars.IsAllowed(named.Trim()))
            hints.Add($"The environment variable {named} is not one a key may come from, so no key is sent: name one of " +
                $"{string.Join(", ", envVars.Allowed.Order())}, or enter the key on this connection.");
        var uri = Uri.TryCreate(row.BaseUrl, UriKind.Absolute, out var u) ? u : null;
        var local = uri is not null && Infrastructure.LoopbackHost.Is(uri.Host);
        var dockerHost = uri is not null && uri.Host.Equals(DockerHost, StringComparison.OrdinalIgnoreCase);
        switch (discovery.Failure)
        {
            case DiscoveryFailure.Refused:
                hints.Add($"Nothing is listening at {row.BaseUrl}: start the model server, and check the host and port.");
                if (local) hints.Add($"If LLMRace runs in a container, localhost is the container itself: use " +
                    $"http://{DockerHost}:{uri!.Port} to reach a server on the host.");
                if (dockerHost) hints.Add(DockerDesktop);
                break;
            case DiscoveryFailure.UnknownHost when dockerHost:
                hints.Add($"{DockerHost} does not resolve here: it exists only inside a Docker container (Docker Desktop on " +
                    $"Windows and macOS; on Linux, start the container with --add-host={DockerHost}:host-gateway). If LLMRace " +
                    $"runs on the same machine as the model server, use http://127.0.0.1:{uri!.Port}.");
                hints.Add(DockerDesktop);
                break;
            case DiscoveryFailure.UnknownHost:
                hints.Add($"The host name {uri?.Host} does not resolve from where LLMRace runs: check its spelling. In a " +
                    $"container, a server on the host is at http://{DockerHost}:{uri?.Port}; under WSL 2, a server on the " +
                    "Windows side is at the Windows host's address (ip route show default), or at localhost with WSL's mirrored " +
                    "networking.");
                break;
            case DiscoveryFailure.Unauthorized:
                hints.Add(authPresent
                    ? "The server refused the API key (401): re-save the key on this connection; it may be wrong or expired."
                    : "The server wants an API key (401): enter one on this connection" + (row.ApiKeyEnvVar is { } v ? $", or set the " +
                        $"environment variable {v}." : "."));
                if (authSource == AuthSources.EnvVar && !authPresent) hints.Add($"The environment variable {row.ApiKeyEnvVar} is not set " +
                    $"for the Api process.");
                break;
            case DiscoveryFailure.InvalidHost:
                hints.Add("The server rejected the Host header (403 Invalid host header), as Jan does for hosts it does not trust: in " +
                    "Jan > Settings > Local API Server, set Trusted Hosts to host.docker.internal,localhost,127.0.0.1.");
                break;
            case DiscoveryFailure.Forbidden:
                hints.Add("The server forbids this request (403): check the key's permissions or the server's access settings.");
                break;
            case DiscoveryFailure.NotFound:
                hints.Add($"Nothing at that path (404): check the base URL and its API prefix. {advice}");
                break;
            case DiscoveryFailure.Redirect:
                hints.Add("The server answered with a redirect: LLMRace follows none, so that a key is never carried to another address. " +
                    "Set the base URL to where it points (often http:// → https://).");
                break;
            case DiscoveryFailure.Timeout:
                hints.Add($"The server did not answer within {Math.Clamp(row.TimeoutS, 1, 30):0.#} s: it may be loading a model or " +
                    $"overloaded; try again, or raise timeout_s.");
                if (dockerHost) hints.Add(DockerDesktop);
                break;
            case DiscoveryFailure.Tls:
                hints.Add("The TLS handshake failed: use http:// for a local server without TLS, or check the server's certificate.");
                break;
            case DiscoveryFailure.KeyUnreadable:
                hints.Add("The stored key cannot be used (it cannot be decrypted with this LLMRACE_SECRET_KEY, or holds a control " +
                    "character): re-save the API key on this connection.");
                break;
            case DiscoveryFailure.BadResponse:
                hints.Add($"The server answered, but not as a {row.Type} server does: check the connection type. {advice}");
                break;
        }
        if (discovery.Failure == DiscoveryFailure.None && discovery.Models.Count == 0)
            hints.Add("The server lists no models: load or pull one, or type the model name by hand on the car.");
        if (discovery.Failure != DiscoveryFailure.None)
            hints.Add("Model discovery is optional: a car can always name its model by hand.");
        return hints;
    }
}
