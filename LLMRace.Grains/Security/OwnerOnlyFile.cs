namespace LLMRace.Grains.Security;

/// <summary>The database and the key file hold keys and outputs: readable and writable by their owner only (0600).</summary>
public static class OwnerOnlyFile
{
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Sets the file's mode to 0600; with <paramref name="create"/>, creates it empty with that mode when it is missing.</summary>
    public static void Ensure(string file, bool create)
    {
        if (OperatingSystem.IsWindows()) return;
        if (create && !File.Exists(file))
        {
            using var _ = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write,
                UnixCreateMode = Mode });
        }
        else if (File.Exists(file) && File.GetUnixFileMode(file) != Mode) File.SetUnixFileMode(file, Mode);
    }
}
