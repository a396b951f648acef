using System.Globalization;

namespace LLMRace.Grains.Results;

/// <summary>One cell of LLMRace's CSV exports.</summary>
public static class CsvCell
{
    /// <summary>RFC 4180 quoting; a text cell that a spreadsheet would run as a formula is prefixed with an apostrophe.</summary>
    public static string Of(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(value, NumberStyles.Float,
            CultureInfo.InvariantCulture, out _))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
