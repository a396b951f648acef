
using Microsoft.Playwright;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>The whole app under its AppHost, with its UI dev server, and Debian's Chromium driven by Playwright.</summary>
public sealed class BrowserApp : IAsyncLifetime
{
    public RaceApp App { get; } = new(Directory.CreateTempSubdirectory("llmrace-ui-").FullName, withUi: true);
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: LLMRACE_ARTIFACTS, else a folder beside the test binaries.</summary>
    public static string Artifacts { get; } = Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("LLMRACE_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory,
            "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        await App.StartAsync();
        // Expectations wait as long as actions do: a page on a machine busy with the other test classes can be slow to
        // change, and a wait is not a bound on how fast LLMRace is.
        Assertions.SetDefaultExpectTimeout(60_000);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await LaunchChromiumAsync(Playwright);
    }

    /// <summary>Debian's Chromium (or LLMRACE_CHROMIUM), headless, kept off the network but for this machine.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        var chromium = Environment.GetEnvironmentVariable("LLMRACE_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"Chromium is not at {chromium}: install it (apt-get install -y chromium) or set " +
                $"LLMRACE_CHROMIUM");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        await App.StopAsync();
        try { Directory.Delete(App.DataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The tests of the whole app as its AppHost runs it (Aspire's wiring, SignalR and SSE through the real host, the
/// browser flows) share one, with its UI.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<BrowserApp>
{
    public const string Name = "app host";
}
