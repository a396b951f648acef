using LLMRace.Simulator;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddSingleton<TruthLog>();
builder.Services.AddSingleton<SimGates>();

var app = builder.Build();
app.UsePathFaults();
app.UseRouting();
app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text(
    "LLMRace Simulator. OpenAI: /v1/models, /v1/chat/completions (also under /api/v1). Ollama: /api/tags, /api/chat. " +
    "Anthropic: /v1/messages. Models: sprinter, cruiser, echo, instant, caller, optionally with " +
    "?ttft_ms=&itl_ms=&tokens=&gate=&fault= (status:<code>, disconnect_after:<n>, malformed_after:<n>, hang, require_key, bad_host). " +
    "A base URL of /fault/<fault> applies a fault to every endpoint under it. A model with gate=NAME answers nothing until " +
    "POST /sim/gates/NAME."));
app.MapSimulator();
app.MapGet("/sim/requests", (string? model, TruthLog truth) => model is null
    ? Results.BadRequest(new { error = "name the model: /sim/requests?model=..." })
    : Results.Json(truth.OfModel(model)));
app.MapGet("/sim/requests/{id}", (string id, TruthLog truth) => truth.Get(id) is { } t ? Results.Json(t) : Results.NotFound());
app.MapPost("/sim/gates/{name}", (string name, SimGates gates) =>
    name.Length > 64 ? Results.BadRequest(new { error = "a gate's name is at most 64 characters" })
    : gates.Open(name) ? Results.NoContent()
    : Results.Problem($"the Simulator holds {SimGates.MaxGates} gates already", statusCode: 503));
app.Run();
