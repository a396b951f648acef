using LLMRace.Simulator;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddSingleton<TruthLog>();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text(
    "LLMRace Simulator: OpenAI-compatible /v1/models and /v1/chat/completions. Models: sprinter, cruiser, echo, instant, " +
    "optionally with ?ttft_ms=&itl_ms=&tokens=&fault= (status:<code>, disconnect_after:<n>, malformed_after:<n>, hang, require_key, bad_host)."));
app.MapOpenAi();
app.MapGet("/sim/requests/{id}", (string id, TruthLog truth) => truth.Get(id) is { } t ? Results.Json(t) : Results.NotFound());
app.Run();
