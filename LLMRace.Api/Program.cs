using System.Text.Json;
using LLMRace.Api.Endpoints;
using LLMRace.Api.Infrastructure;
using LLMRace.Api.Live;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRaceSilo();
builder.AddRaceServices();

builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
    o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
});
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
builder.Services.AddOpenApi();
builder.Services.AddSignalR().AddJsonProtocol(o => o.PayloadSerializerOptions = RaceJson.Create());
// CORS: localhost and 127.0.0.1 origins (any port), plus those listed in LLMRACE_CORS_ORIGINS.
var corsOrigins = (builder.Configuration["LLMRACE_CORS_ORIGINS"] ?? "")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase);
builder.Services.AddCors(o => o.AddDefaultPolicy(p => p
    .SetIsOriginAllowed(origin => corsOrigins.Contains(origin.TrimEnd('/'))
        || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host is "localhost" or "127.0.0.1" or "[::1]"))
    .AllowAnyHeader().AllowAnyMethod().AllowCredentials()));
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 10 * 1024 * 1024);

var accessToken = builder.Configuration["LLMRACE_ACCESS_TOKEN"];
var app = builder.Build();
var exposed = AccessControl.NonLoopbackBindings(app.Configuration);
if (exposed.Count > 0 && string.IsNullOrEmpty(accessToken) && !string.Equals(app.Configuration["LLMRACE_ALLOW_ANONYMOUS"], "true", StringComparison.OrdinalIgnoreCase))
{
    app.Logger.LogCritical("LLMRace will not start: it would listen beyond this machine ({Bindings}) with no LLMRACE_ACCESS_TOKEN; set a token, or LLMRACE_ALLOW_ANONYMOUS=true to allow it knowingly", string.Join(", ", exposed));
    return 1;
}
try
{
    await app.InitializeRaceDataAsync();
}
catch (DatabaseUnavailableException e)
{
    app.Logger.LogCritical("LLMRace cannot start: {Reason}", e.Message);
    return 1;
}

app.UseExceptionHandler();
// The built UI, when published with the Api (in development Vite serves it).
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseRouting();
app.UseStatusCodePages();
app.UseCors();
app.UseAccessToken(accessToken);

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapScalarApiReference("/api/docs", o => o.WithTitle("LLMRace API"));
app.MapGet("/api/health", () => TypedResults.Ok(new { status = "ok", service = "llmrace-api" })).WithTags("Health");
app.MapConnectionEndpoints();
app.MapCarEndpoints();
app.MapSuiteEndpoints();
app.MapRunEndpoints();
app.MapResultEndpoints();
app.MapHub<RaceHub>("/hubs/race");
// The UI's own routes fall back to its index; /api and /hubs never do, so an unknown API path stays a 404.
app.MapFallbackToFile("{*path:nonfile:regex(^(?!api/|hubs/|openapi/).*$)}", "index.html");

await app.RunAsync();
return 0;
