using LLMRace.Simulator;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddSingleton<TruthLog>();

var app = builder.Build();
app.UsePathFaults();
app.UseRouting();
app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text(
    "LLMRace Simulator. OpenAI: /v1/models, /v1/chat/completions (also under /api/v1). Ollama: /api/tags, /api/chat. " +
    "Anthropic: /v1/messages. Models: sprinter, cruiser, echo, instant, caller, optionally with " +
    "?ttft_ms=&itl_ms=&tokens=&fault= (status:<code>, disconnect_after:<n>, malformed_after:<n>, hang, require_key, bad_host). " +
    "A base URL of /fault/<fault> applies a fault to every endpoint under it."));
app.MapSimulator();
app.MapGet("/sim/requests/{id}", (string id, TruthLog truth) => truth.Get(id) is { } t ? Results.Json(t) : Results.NotFound());
app.Run();
