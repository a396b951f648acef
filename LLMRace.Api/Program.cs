using LLMRace.Api;

var app = await RaceApp.StartAsync(args);
if (app is null) return 1;
await app.WaitForShutdownAsync();
return 0;

/// <summary>The Api's entry point, named for the in-process tests (WebApplicationFactory&lt;Program&gt;).</summary>
public partial class Program;
