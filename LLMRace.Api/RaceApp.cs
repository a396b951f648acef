using System.Text.Json;
using LLMRace.Api.Endpoints;
using LLMRace.Api.Infrastructure;
using LLMRace.Api.Live;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;
using LLMRace.Grains.Limits;
using Scalar.AspNetCore;

namespace LLMRace.Api;

/// <summary>
/// LLMRace's Api with its co-hosted silo, built and started: by its own entry point, and by <c>llmrace</c> when it races
/// embedded (the whole engine in the CLI's process, on its own SQLite file).
/// </summary>
public static class RaceApp
{
    /// <summary>Starts the Api; null when it cannot (the reason is written to the console or the log).</summary>
    public static async Task<WebApplication?> StartAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Before anything makes a Regex: .NET reads the default match timeout once.
        RegexLimits.UseAsProcessDefault();

        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        // The request line (with its query string) is the one log written before the access token is taken off a query.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", level => level >= LogLevel.Warning);
        RaceSettings settings;
        try
        {
            settings = RaceSettings.From(builder.Configuration);
        }
        catch (InvalidSettingsException e)
        {
            await Console.Error.WriteLineAsync($"LLMRace cannot start: {e.Message}");
            return null;
        }
        builder.AddServiceDefaults();
        builder.AddRaceSilo(settings);
        builder.AddRaceServices(settings);

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            // A number is a JSON number: "5" for 5 is a 400, and the OpenAPI document (and the UI's types made from it) says
            // number, not number |
            // string.
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddAuthentication(AccessTokenHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, AccessTokenHandler>(AccessTokenHandler.SchemeName,
                null);
        builder.Services.AddAuthorization();
        // A body that cannot be bound throws (as in development) so BadRequestExceptionHandler can name what is wrong; by
        // default production answers a bare 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<ConflictExceptionHandler>();
        builder.Services.AddOpenApi();
        builder.Services.AddSignalR().AddJsonProtocol(o => o.PayloadSerializerOptions = RaceJson.Create());
        // CORS: localhost, 127.0.0.1 and [::1] origins (any port), plus those listed in LLMRACE_CORS_ORIGINS.
        var trusted = new TrustedBrowsers(settings);
        builder.Services.AddSingleton(trusted);
        builder.Services.AddCors(o => o.AddDefaultPolicy(p => p
            .SetIsOriginAllowed(trusted.IsAllowedOrigin)
            .AllowAnyHeader().AllowAnyMethod().AllowCredentials()));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 10 * 1024 * 1024);

        var app = builder.Build();
        const string ExposedMessage = "LLMRace will not start: it would listen beyond this machine ({Bindings}) with no " +
            "LLMRACE_ACCESS_TOKEN; " +
            "set a token, or LLMRACE_ALLOW_ANONYMOUS=true to allow it knowingly";
        if (settings.MustStayLocal && ListeningGuard.NonLoopbackConfigured(app.Configuration) is { Count: > 0 } configured)
        {
            app.Logger.LogCritical(ExposedMessage, string.Join(", ", configured));
            return null;
        }
        try
        {
            await app.InitializeRaceDataAsync();
        }
        catch (DatabaseUnavailableException e)
        {
            app.Logger.LogCritical("LLMRace cannot start: {Reason}", e.Message);
            return null;
        }

        app.UseExceptionHandler();
        app.UseBrowserGuard();
        app.UseQueryTokenRemoval();
        // The built UI, when published with the Api (in development Vite serves it).
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseStatusCodePages();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseUnicodeBodyGuard();

        // /health and /alive stay open (orchestrators probe them); everything else needs the access token when one is set.
        app.MapDefaultEndpoints();
        var secured = app.MapGroup("").RequireAuthorization();
        secured.MapOpenApi();
        secured.MapScalarApiReference("/api/docs", o => o.WithTitle("LLMRace API"));
        secured.MapConnectionEndpoints();
        secured.MapCarEndpoints();
        secured.MapSuiteEndpoints();
        secured.MapRunEndpoints();
        secured.MapLoadTestEndpoints();
        secured.MapResultEndpoints();
        secured.MapMetaEndpoints();
        secured.MapHub<RaceHub>("/hubs/race");
        // The UI's own routes fall back to its index; /api and /hubs never do, so an unknown API path stays a 404.
        app.MapFallbackToFile("{*path:nonfile:regex(^(?!api/|hubs/|openapi/).*$)}", "index.html");

        await app.StartAsync();
        if (settings.MustStayLocal
            && ListeningGuard.NonLoopbackBound(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>())
                is { Count: > 0 } bound)
        {
            app.Logger.LogCritical(ExposedMessage, string.Join(", ", bound));
            await app.StopAsync();
            return null;
        }
        return app;
    }
}
