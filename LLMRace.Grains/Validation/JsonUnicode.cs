using System.Text;
using System.Text.Json;

namespace LLMRace.Grains.Validation;

/// <summary>
/// JSON may escape a lone surrogate ("\ud800"), which is not Unicode text: .NET cannot turn it into a string, and
/// reading it throws deep inside whatever touches it. Input is checked for one up front, so it is refused with its path.
/// </summary>
public static class JsonUnicode
{
    public const string Problem = "is not valid Unicode text: it holds a lone surrogate escape (such as \\ud800 without its pair)";

    /// <summary>The JSON path of the first property name or string that is not valid text; null when there is none or the JSON does not
    /// parse.</summary>
    public static string? FirstInvalidString(string json) => FirstInvalidString(Encoding.UTF8.GetBytes(json));

    public static string? FirstInvalidString(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 256, CommentHandling = JsonCommentHandling.Skip });
        // Where the reader is: per open container, whether it is an array, its next index, and the last property name.
        var path = new List<(bool Array, int Index, string? Name)>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(path);
                        path.Add((reader.TokenType == JsonTokenType.StartArray, 0, null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        path[^1] = (false, 0, null);
                        if (!IsText(ref reader)) return PathOf(path, "(a property name)");
                        path[^1] = (false, 0, reader.GetString());
                        break;
                    case JsonTokenType.String:
                        Advance(path);
                        if (!IsText(ref reader)) return PathOf(path, null);
                        break;
                    default:
                        Advance(path);
                        break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or not UTF-8: the endpoint's own reading refuses it with its own words.
            return null;
        }
        return null;
    }

    private static bool IsText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return true;
        try
        {
            _ = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A value is starting: in an array it takes the next index.</summary>
    private static void Advance(List<(bool Array, int Index, string? Name)> path)
    {
        if (path.Count > 0 && path[^1].Array) path[^1] = path[^1] with { Index = path[^1].Index + 1 };
    }

    private static string PathOf(List<(bool Array, int Index, string? Name)> path, string? last)
    {
        var text = new StringBuilder("$");
        foreach (var (array, index, name) in path)
        {
            if (array) text.Append('[').Append(index - 1).Append(']');
            else if (name is not null) text.Append('.').Append(name);
        }
        if (last is not null) text.Append('.').Append(last);
        return text.ToString();
    }
}
