using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Suites;

/// <summary>
/// Test ids that survive an edit of their suite, so a baseline still matches its items test by test: a test keeps the
/// id it names (when that id is one of this suite's), else the id of the old test with the same order_index and name;
/// a test that matches none is new. Each old id goes to one test at most, named ids first.
/// </summary>
public static class StableTestIds
{
    public static IReadOnlyList<string> Assign(IReadOnlyList<TestRow> before, IReadOnlyList<SuiteTest> after)
    {
        var ids = new string?[after.Count];
        var free = before.ToDictionary(t => t.Id);
        for (var i = 0; i < after.Count; i++)
            if (after[i].Id is { } named && free.Remove(named)) ids[i] = named;
        for (var i = 0; i < after.Count; i++)
        {
            if (ids[i] is not null) continue;
            var same = free.Values.FirstOrDefault(t => t.OrderIndex == after[i].OrderIndex && t.Name == after[i].Name.Trim());
            if (same is not null) free.Remove(same.Id);
            ids[i] = same?.Id ?? Ids.New("test");
        }
        return ids!;
    }
}
