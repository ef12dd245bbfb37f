using System.Text.Json;

namespace Hub.Mappers.Passport;

/// <summary>What one ICB offers care leavers for prescriptions and dental care; a null field means the default text.</summary>
public sealed record CareLeaverOffer(DateOnly? Checked, string? Prescriptions, string? Dental);

/// <summary>
/// How a care leaver gets free prescriptions and dental care, by responsible ICB (care-leaver-offers.json next to the hub's
/// binary): a dated table where only what an ICB has confirmed is written under its code, and a default that names no
/// local policy, only the national exemptions and who to ask.
/// </summary>
public sealed record CareLeaverOffers(string Title, DateOnly Checked, CareLeaverOffer Default, IReadOnlyDictionary<string, CareLeaverOffer> Icbs)
{
    static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    public static CareLeaverOffers Parse(string json)
    {
        var offers = JsonSerializer.Deserialize<CareLeaverOffers>(json, Options) ?? throw new FormatException("The care-leaver offers table is empty");
        if (offers.Default.Prescriptions is null || offers.Default.Dental is null)
            throw new FormatException("The care-leaver offers table needs a default text for prescriptions and for dental care");
        return offers with { Icbs = offers.Icbs ?? new Dictionary<string, CareLeaverOffer>() };
    }

    /// <summary>The texts for an ICB (by ODS code), with `{icb}` replaced by its name, and the date they were checked.</summary>
    public (string Prescriptions, string Dental, DateOnly Checked) For(string? icb, string? icbName)
    {
        var own = icb is not null && Icbs.TryGetValue(icb, out var o) ? o : null;
        string Fill(string text) => text.Replace("{icb}", icbName ?? "your local NHS", StringComparison.Ordinal);
        return (Fill(own?.Prescriptions ?? Default.Prescriptions!), Fill(own?.Dental ?? Default.Dental!), own?.Checked ?? Checked);
    }
}
