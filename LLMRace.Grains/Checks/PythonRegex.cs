using System.Text.RegularExpressions;

namespace LLMRace.Grains.Checks;

/// <summary>
/// The Python regex syntax the original accepted that .NET spells otherwise: named groups <c>(?P&lt;name&gt;…)</c> and
/// their back-references <c>(?P=name)</c>. Everything else is the same in both for the patterns checks use.
/// </summary>
public static partial class PythonRegex
{
    public static string ToDotNet(string pattern) => !pattern.Contains("(?P", StringComparison.Ordinal) ? pattern
        : BackReference().Replace(NamedGroup().Replace(pattern, "(?<$1>"), @"\k<$1>");

    // Not after an escaping backslash (an even number of backslashes may precede): \(?P<x> is a literal parenthesis.
    [GeneratedRegex(@"(?<=(?:^|[^\\])(?:\\\\)*)\(\?P<([A-Za-z_][A-Za-z0-9_]*)>")]
    private static partial Regex NamedGroup();

    [GeneratedRegex(@"(?<=(?:^|[^\\])(?:\\\\)*)\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex BackReference();
}
