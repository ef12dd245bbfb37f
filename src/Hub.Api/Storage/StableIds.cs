namespace Hub.Api.Storage;

/// <summary>
/// The id the hub gives a resource it creates for an identifier: the same for the same identifier, so the SSDA903 import
/// and a REST write of an episode name the same Flag or notification, however often either runs.
/// </summary>
public static class StableIds
{
    public static string Of(string system, string value) => OfKey(system + "|" + value);

    public static string OfKey(string key) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..32];
}
