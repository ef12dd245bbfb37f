using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Auth;

/// <summary>The hub's own RSA key: signs its access tokens (RS384), and its public half is served as a JWKS for peer hubs.</summary>
public sealed class HubSigningKey
{
    public const string Algorithm = SecurityAlgorithms.RsaSha384;
    const int KeySizeBits = 3072;

    readonly RSAParameters publicParameters;

    HubSigningKey(RSA rsa, string path)
    {
        publicParameters = rsa.ExportParameters(includePrivateParameters: false);
        var thumbprint = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(publicParameters)).ComputeJwkThumbprint();
        KeyId = Base64UrlEncoder.Encode(thumbprint);
        Key = new RsaSecurityKey(rsa) { KeyId = KeyId };
        Credentials = new SigningCredentials(Key, Algorithm);
        Path = path;
    }

    /// <summary>RFC 7638 thumbprint of the public key: the same for as long as the PEM file is.</summary>
    public string KeyId { get; }

    public SecurityKey Key { get; }

    public SigningCredentials Credentials { get; }

    /// <summary>Full path of the PEM file the key was read from or written to.</summary>
    public string Path { get; }

    /// <summary>Reads the PEM at <paramref name="path"/> (relative to the current directory), or creates it with mode 600.</summary>
    public static HubSigningKey LoadOrCreate(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var rsa = RSA.Create();
        if (!File.Exists(full) && TryCreate(rsa, full)) return new HubSigningKey(rsa, full);

        try
        {
            rsa.ImportFromPem(File.ReadAllText(full));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new InvalidOperationException($"Hub:Auth:SigningKey {full} is not an unencrypted RSA private key in PEM", e);
        }
        if (rsa.KeySize < 2048) throw new InvalidOperationException($"Hub:Auth:SigningKey {full} is {rsa.KeySize} bits; at least 2048 are needed");
        return new HubSigningKey(rsa, full);
    }

    /// <summary>Writes a new key; false when another process wrote one first (then that one is read).</summary>
    static bool TryCreate(RSA rsa, string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        rsa.KeySize = KeySizeBits;
        // Written aside and renamed into place, so a second process never reads half a key.
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temp, System.Text.Encoding.ASCII, options))
            writer.Write(rsa.ExportPkcs8PrivateKeyPem());
        try
        {
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return false;
        }
    }

    /// <summary>The public key as a JWK Set (RFC 7517 §5), for <c>GET /.well-known/jwks.json</c>.</summary>
    public IReadOnlyDictionary<string, object> Jwks() => new Dictionary<string, object>
    {
        ["keys"] = new[]
        {
            new Dictionary<string, string>
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = Algorithm,
                ["kid"] = KeyId,
                ["n"] = Base64UrlEncoder.Encode(publicParameters.Modulus!),
                ["e"] = Base64UrlEncoder.Encode(publicParameters.Exponent!),
            },
        },
    };
}
