using System.Text.Json;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Suites;

namespace LLMRace.Grains.Engine;

/// <summary>How the engine answers a model's tool call: with the tool's mock, or an error result saying what was wrong.</summary>
public static class ToolAnswers
{
    /// <summary>A call answered with the tool's mock; a call to an unknown tool, or with arguments that fail its schema, gets an error
    /// result.</summary>
    public static ToolResult Answer(ToolCall call, IReadOnlyList<ToolDefinition> tools)
    {
        var id = ToolJson.CallId(call);
        static string Error(string message) => RaceJson.Serialize(new { error = message });
        if (tools.FirstOrDefault(t => t.Name == call.Name) is not { } tool)
            return new ToolResult(id, call.Name,
                Error($"unknown tool '{call.Name}': the tools are {string.Join(", ", tools.Select(t => t.Name))}"), true);
        JsonDocument arguments;
        try
        {
            arguments = JsonDocument.Parse(string.IsNullOrWhiteSpace(call.Arguments) ? "{}" : call.Arguments);
        }
        catch (JsonException)
        {
            return new ToolResult(id, call.Name, Error($"the arguments are not valid JSON: {Excerpt.Of(call.Arguments, 100)}"), true);
        }
        using (arguments)
        {
            try
            {
                if (tool.Schema is { } schema && JsonSchemas.FirstProblem(schema, arguments.RootElement) is { } problem)
                    return new ToolResult(id, call.Name, Error($"the arguments do not match the tool's parameters {problem}"), true);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return new ToolResult(id, call.Name,
                    Error($"the arguments could not be checked against the tool's parameters: {e.Message}"), true);
            }
        }
        return new ToolResult(id, call.Name, tool.MockResult, false);
    }
}
