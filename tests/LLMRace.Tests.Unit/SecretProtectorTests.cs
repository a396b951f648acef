using System.Text;
using LLMRace.Grains.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace LLMRace.Tests.Unit;

public sealed class SecretProtectorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llmrace-secret-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_key_round_trips_and_its_ciphertext_holds_no_plaintext()
    {
        var protector = new SecretProtector("a secret"u8.ToArray());
        var cipher = protector.Protect("sk-plaintext-key-1234");

        Assert.Equal("sk-plaintext-key-1234", protector.Unprotect(cipher));
        Assert.True(cipher.AsSpan().IndexOf("sk-plaintext"u8) < 0);
        Assert.NotEqual(cipher, protector.Protect("sk-plaintext-key-1234")); // a fresh nonce each time
    }

    [Fact]
    public void A_changed_secret_gives_a_clear_error_not_an_empty_key()
    {
        var cipher = new SecretProtector("old secret"u8.ToArray()).Protect("sk-key");

        var e = Assert.Throws<SecretUnreadableException>(() => new SecretProtector("new secret"u8.ToArray()).Unprotect(cipher));
        Assert.Contains("re-save the key", e.Message);
        Assert.Throws<SecretUnreadableException>(() => new SecretProtector("old secret"u8.ToArray()).Unprotect([1, 2, 3]));
    }

    [Fact]
    public void Without_a_secret_a_private_key_file_is_made_beside_the_database_and_reused()
    {
        var db = Path.Combine(_folder, "llmrace.db");
        var first = SecretProtector.Create(null, db, NullLogger.Instance);
        var cipher = first.Protect("sk-dev");
        var keyFile = Path.Combine(_folder, "llmrace.secret.key");

        Assert.True(File.Exists(keyFile));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal("sk-dev", SecretProtector.Create(null, db, NullLogger.Instance).Unprotect(cipher));
        Assert.Equal("sk-dev", SecretProtector.Create("", db, NullLogger.Instance).Unprotect(cipher));
        Assert.Throws<SecretUnreadableException>(() => SecretProtector.Create("set now", db, NullLogger.Instance).Unprotect(cipher));
    }

    [Theory]
    [InlineData("sk-abcdefghijkl1234", "…1234")]
    [InlineData("short", "…")]
    public void The_hint_shows_at_most_the_last_four_characters(string key, string hint) => Assert.Equal(hint, SecretProtector.Hint(key));
}
