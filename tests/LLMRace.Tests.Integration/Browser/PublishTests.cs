using System.Net;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>In production, dotnet publish of the Api builds the UI into its static files, served same-origin.</summary>
public sealed class PublishTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llmrace-publish-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_published_api_serves_the_built_ui_with_a_fallback_for_its_routes()
    {
        var output = Path.Combine(_folder, "app");
        // The Api as these tests built it (--no-build): what is under test is what publishing adds, the UI.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var (code, log) = await Repo.RunAsync("dotnet",
            $"publish \"{Path.Combine(Repo.Root, "LLMRace.Api")}\" -c {configuration} --no-build -o \"{output}\"", Repo.Root);
        Assert.True(code == 0, log);
        Assert.True(File.Exists(Path.Combine(output, "wwwroot", "index.html")), "the UI is in wwwroot");

        const string token = "pit-wall-token-42";
        await using var api = await StandaloneApi.StartAsync(Path.Combine(_folder, "data"), new Dictionary<string,
            string> { ["LLMRACE_ACCESS_TOKEN"] = token }, Path.Combine(output, "LLMRace.Api.dll"));
        using var http = new HttpClient { BaseAddress = api.Address };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        var index = await http.GetStringAsync("/");
        Assert.Contains("<title>LLMRace</title>", index);
        Assert.Equal(index, await http.GetStringAsync("/history"));   // a UI route falls back to the index
        using var unknownApi = await http.GetAsync("/api/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, unknownApi.StatusCode); // an API path never does
        using var suites = await http.GetAsync("/api/suites");
        Assert.Equal(HttpStatusCode.OK, suites.StatusCode);
        // In production too, a body of the wrong shape is a 400 that names the field (not a bare 400).
        using (var wrongType = await http.PostAsync("/api/runs",
            new StringContent("{\"suite_id\":\"s\",\"car_ids\":[\"c\"],\"settings\":{\"concurrency\":\"2\"}}", System.Text.Encoding.UTF8,
            "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
            Assert.Contains("$.settings.concurrency has the wrong type", await wrongType.Content.ReadAsStringAsync());
        }
        var script = System.Text.RegularExpressions.Regex.Match(index, "/assets/index-[^\"]+\\.js").Value;
        using var asset = await http.GetAsync(script);
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);

        // The UI, served same-origin, asks for the token once and keeps it for the session.
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await BrowserApp.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync(new() { BaseURL = api.Address.ToString() });
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/#/garage");
        await page.FillAsync(".token-dialog input[name=token]", "wrong");
        await page.ClickAsync(".token-dialog button");
        await Microsoft.Playwright.Assertions.Expect(page.Locator(".token-dialog p")).ToContainTextAsync("not accepted");
        await page.FillAsync(".token-dialog input[name=token]", token);
        await page.ClickAsync(".token-dialog button");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("[data-connection='LLMRace Simulator']")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("[data-connection='LLMRace Simulator']")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator(".token-dialog").CountAsync());
    }
}
