using System.Text;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Runs the measuring path once at start-up (HTTP client, stream parsers, event serialisation), so the first
/// item of a fresh process does not carry JIT compilation in its TTFT (about 150-250 ms here otherwise).
/// </summary>
public sealed class ProviderWarmUp(IHostApplicationLifetime lifetime, IServer server, RaceEngine engine,
    ILogger<ProviderWarmUp> logger) : IHostedService
{
    private static readonly byte[] OpenAiStream = Encoding.UTF8.GetBytes(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"warm\"}}]}\n\ndata: " +
            "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n");
    private static readonly byte[] OllamaStream = Encoding.UTF8.GetBytes(
        "{\"message\":{\"role\":\"assistant\",\"content\":\"warm\"},\"done\":false}\n" +
            "{\"message\":{\"content\":\"\"},\"done\":true,\"eval_count\":1}\n");
    private static readonly byte[] AnthropicStream = Encoding.UTF8.GetBytes(
        "event: content_block_delta\ndata: " +
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"warm\"}}\n\nevent: " +
                "message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    public Task StartAsync(CancellationToken ct)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(WarmUpAsync));
        return Task.CompletedTask;
    }

    private async Task WarmUpAsync()
    {
        try
        {
            foreach (var (provider, bytes) in new (IChatProvider, byte[])[] { (OpenAiChatProvider.Instance, OpenAiStream),
                (OllamaChatProvider.Instance, OllamaStream), (AnthropicChatProvider.Instance, AnthropicStream) })
                await foreach (var _ in provider.ParseStreamAsync(new MemoryStream(bytes), CancellationToken.None)) { }
            _ = RunEventFactory.CreateDelta("warm-up", 1, DateTime.UtcNow, "warm-up", "text", "warm", [1.0], [4]);
            if (server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } address)
            {
                using var response = await engine.CreateProviderClient().GetAsync(address.Replace("://+", "://127.0.0.1").Replace("://*",
                    "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1").TrimEnd('/') + "/alive",
                    HttpCompletionOption.ResponseHeadersRead);
                await using var body = await response.Content.ReadAsStreamAsync();
                await body.CopyToAsync(Stream.Null);
            }
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Warm-up of the provider path did not complete");
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
