using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Security;

/// <summary>
/// Encrypts API keys at rest with AES-GCM under a key derived (HKDF-SHA256) from LLMRACE_SECRET_KEY,
/// or, when that is not set, from a random key file beside the database (created mode 0600).
/// Layout of a protected value: version byte (1) | nonce (12) | tag (16) | ciphertext.
/// </summary>
public sealed class SecretProtector
{
    private const byte Version = 1;
    private readonly byte[] _key;

    public SecretProtector(byte[] inputKeyMaterial)
    {
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, inputKeyMaterial, 32,
            salt: "llmrace.v1"u8.ToArray(), info: "llmrace api keys"u8.ToArray());
    }

    public static SecretProtector Create(string? secret, string databasePath, ILogger logger)
    {
        if (!string.IsNullOrEmpty(secret)) return new SecretProtector(Encoding.UTF8.GetBytes(secret));

        var keyFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(databasePath)) ?? ".", "llmrace.secret.key");
        if (!File.Exists(keyFile))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var file = new FileStream(keyFile, options);
            file.Write(RandomNumberGenerator.GetBytes(32));
            logger.LogWarning("LLMRACE_SECRET_KEY is not set: API keys are encrypted with a random key created at {KeyFile}. Set " +
                "LLMRACE_SECRET_KEY in production.", keyFile);
        }
        else
        {
            OwnerOnlyFile.Ensure(keyFile, create: false);
            logger.LogWarning("LLMRACE_SECRET_KEY is not set: API keys are encrypted with the key file {KeyFile}. Set LLMRACE_SECRET_KEY " +
                "in production.", keyFile);
        }
        return new SecretProtector(File.ReadAllBytes(keyFile));
    }

    public byte[] Protect(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[1 + 12 + 16 + plain.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plain, output.AsSpan(29), output.AsSpan(13, 16));
        return output;
    }

    /// <summary>Decrypts a stored key; throws <see cref="SecretUnreadableException"/> when the secret changed or the bytes are
    /// damaged.</summary>
    public string Unprotect(byte[] protectedValue)
    {
        if (protectedValue.Length < 29 || protectedValue[0] != Version) throw new SecretUnreadableException();
        var plain = new byte[protectedValue.Length - 29];
        try
        {
            using var aes = new AesGcm(_key, 16);
            aes.Decrypt(protectedValue.AsSpan(1, 12), protectedValue.AsSpan(29), protectedValue.AsSpan(13, 16), plain);
        }
        catch (CryptographicException)
        {
            throw new SecretUnreadableException();
        }
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>A hint that tells keys apart without revealing them: the last 4 characters.</summary>
    public static string Hint(string key) => key.Length >= 12 ? $"…{key[^4..]}" : "…";
}

public sealed class SecretUnreadableException(string? message = null)
    : Exception(message ?? "the stored API key cannot be decrypted (LLMRACE_SECRET_KEY changed since it was saved?): re-save the key on " +
        "this connection");
