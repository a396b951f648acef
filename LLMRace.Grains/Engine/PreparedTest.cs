using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Suites;

namespace LLMRace.Grains.Engine;

/// <summary>A test of a run with its checks and tools parsed once, for all of its items (every car, every repeat).</summary>
public sealed class PreparedTest(TestSnapshot snapshot)
{
    public TestSnapshot Snapshot { get; } = snapshot;
    public ParsedConstraints Constraints { get; } = ConstraintParser.Parse(snapshot.ExpectedConstraints);
    public IReadOnlyList<ToolDefinition> Tools { get; } = ToolDefinitions.Parse(snapshot.ToolsSchemaJson, "$", []) ?? [];
}
