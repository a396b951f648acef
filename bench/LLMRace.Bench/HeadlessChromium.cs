using Microsoft.Playwright;

namespace LLMRace.Bench;

public static class HeadlessChromium
{
    /// <summary>Debian's Chromium (or LLMRACE_CHROMIUM), headless, reaching nothing but loopback.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        var path = Environment.GetEnvironmentVariable("LLMRACE_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(path))
            throw new InvalidOperationException("this scenario needs Chromium: apt-get install -y chromium, or set LLMRACE_CHROMIUM");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
        });
    }
}
