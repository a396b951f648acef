using System.Net.Sockets;
using System.Security.Authentication;
using LLMRace.Grains.Security;

namespace LLMRace.Grains.Providers;

/// <summary>What went wrong between LLMRace and a model server, in the classes a person can act on.</summary>
public enum ProviderFailure { None, Refused, UnknownHost, Unauthorized, InvalidHost, Forbidden, NotFound, Redirect, Timeout, Tls,
    KeyUnreadable, BadResponse, Other }

/// <summary>What is known of a connection when advising on it.</summary>
/// <param name="TimeoutS">The wait that ran out, when the failure is a timeout.</param>
public sealed record ConnectionFacts(string Type, string BaseUrl, double TimeoutS, bool KeyPresent, string? KeyEnvVar,
    string BaseUrlAdvice);

/// <summary>
/// The one place that classifies a failure and says what to do about it, in plain words: Verify Runtime shows every
/// hint, a race shows the first beside the error it explains.
/// </summary>
public static class ProviderAdvice
{
    private const string DockerHost = "host.docker.internal";

    private const string DockerDesktop = "Windows with Docker Desktop: after changing .env or the network, recreate the " +
        "LLMRace container (docker compose up -d --force-recreate), and let the model server listen beyond 127.0.0.1 (Ollama: " +
        "OLLAMA_HOST=0.0.0.0; Jan and LM Studio: serve on the local network).";

    public static ProviderFailure ForStatus(int status, string body) => status switch
    {
        401 => ProviderFailure.Unauthorized,
        403 when body.Contains("Invalid host header", StringComparison.OrdinalIgnoreCase) => ProviderFailure.InvalidHost,
        403 => ProviderFailure.Forbidden,
        404 => ProviderFailure.NotFound,
        >= 300 and < 400 => ProviderFailure.Redirect,
        _ => ProviderFailure.Other,
    };

    public static ProviderFailure Classify(Exception e) => e switch
    {
        ProviderHttpException http => ForStatus(http.StatusCode, http.Message),
        ProviderStreamException => ProviderFailure.BadResponse,
        SecretUnreadableException => ProviderFailure.KeyUnreadable,
        TimeoutException or Polly.Timeout.TimeoutRejectedException => ProviderFailure.Timeout,
        HttpRequestException { InnerException: AuthenticationException } => ProviderFailure.Tls,
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
            ProviderFailure.Refused,
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain
            or SocketError.NoData } } => ProviderFailure.UnknownHost,
        _ => ProviderFailure.Other,
    };

    /// <summary>What to fix for this failure on this connection, most useful first; empty when there is no advice.</summary>
    public static IReadOnlyList<string> Hints(ProviderFailure failure, ConnectionFacts connection)
    {
        var uri = Uri.TryCreate(connection.BaseUrl, UriKind.Absolute, out var u) ? u : null;
        var local = uri is not null && (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase));
        var dockerHost = uri is not null && uri.Host.Equals(DockerHost, StringComparison.OrdinalIgnoreCase);
        var hints = new List<string>();
        switch (failure)
        {
            case ProviderFailure.Refused:
                hints.Add($"Nothing is listening at {connection.BaseUrl}: start the model server, and check the host and port.");
                if (local) hints.Add($"If LLMRace runs in a container, localhost is the container itself: use " +
                    $"http://{DockerHost}:{uri!.Port} to reach a server on the host.");
                if (dockerHost) hints.Add(DockerDesktop);
                break;
            case ProviderFailure.UnknownHost when dockerHost:
                hints.Add($"{DockerHost} does not resolve here: it exists only inside a Docker container (Docker Desktop on " +
                    $"Windows and macOS; on Linux, start the container with --add-host={DockerHost}:host-gateway). If LLMRace " +
                    $"runs on the same machine as the model server, use http://127.0.0.1:{uri!.Port}.");
                hints.Add(DockerDesktop);
                break;
            case ProviderFailure.UnknownHost:
                hints.Add($"The host name {uri?.Host} does not resolve from where LLMRace runs: check its spelling. In a " +
                    $"container, a server on the host is at http://{DockerHost}:{uri?.Port}; under WSL 2, a server on the " +
                    "Windows side is at the Windows host's address (ip route show default), or at localhost with WSL's mirrored " +
                    "networking.");
                break;
            case ProviderFailure.Unauthorized:
                hints.Add(connection.KeyPresent
                    ? "The server refused the API key (401): re-save the key on this connection; it may be wrong or expired."
                    : "The server wants an API key (401): enter one on this connection" + (connection.KeyEnvVar is { } v
                        ? $", or set the environment variable {v}." : "."));
                if (connection.KeyEnvVar is { } unset && !connection.KeyPresent)
                    hints.Add($"The environment variable {unset} is not set for the Api process.");
                break;
            case ProviderFailure.InvalidHost:
                hints.Add("The server rejected the Host header (403 Invalid host header), as Jan does for hosts it does not trust: in " +
                    "Jan > Settings > Local API Server, set Trusted Hosts to host.docker.internal,localhost,127.0.0.1.");
                break;
            case ProviderFailure.Forbidden:
                hints.Add("The server forbids this request (403): check the key's permissions or the server's access settings.");
                break;
            case ProviderFailure.NotFound:
                hints.Add($"Nothing at that path (404): check the base URL and its API prefix. {connection.BaseUrlAdvice}");
                break;
            case ProviderFailure.Redirect:
                hints.Add("The server answered with a redirect: LLMRace follows none, so that a key is never carried to another " +
                    "address. Set the base URL to where it points (often http:// → https://).");
                break;
            case ProviderFailure.Timeout:
                hints.Add($"The server did not answer within {connection.TimeoutS:0.#} s: it may be loading a model or overloaded; try " +
                    "again, or raise timeout_s.");
                if (dockerHost) hints.Add(DockerDesktop);
                break;
            case ProviderFailure.Tls:
                hints.Add("The TLS handshake failed: use http:// for a local server without TLS, or check the server's certificate.");
                break;
            case ProviderFailure.KeyUnreadable:
                hints.Add("The stored key cannot be used (it cannot be decrypted with this LLMRACE_SECRET_KEY, or holds a control " +
                    "character): re-save the API key on this connection.");
                break;
            case ProviderFailure.BadResponse:
                hints.Add($"The server answered, but not as a {connection.Type} server does: check the connection type. " +
                    connection.BaseUrlAdvice);
                break;
        }
        return hints;
    }
}
