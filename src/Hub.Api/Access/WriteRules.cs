using Hub.Api.Auth;

namespace Hub.Api.Access;

/// <summary>Which kinds of caller may write which kinds of resource (before any question about a particular child).</summary>
public static class WriteRules
{
    /// <summary>Reference data: only admins manage it (contract section 2).</summary>
    public static readonly IReadOnlySet<string> ReferenceTypes = new HashSet<string> { "Organization", "Location", "Endpoint" };

    /// <summary>Consents are also judged on who gave them and who records them (ConsentRecording), once the child is known.</summary>
    public const string ConsentType = "Consent";

    /// <summary>Why this caller may not write this type at all, or null when it may.</summary>
    public static string? Refusal(Caller caller, string type)
    {
        if (type == "AuditEvent") return "AuditEvents cannot be created, changed or deleted through the API";
        if (ReferenceTypes.Contains(type)) return caller.IsAdmin ? null : "only admin clients manage reference data";
        // An episode is the LA's placement record: it says where the child lives and so which ICB hosts the child, who may
        // read the record and who is notified. Only the LA looking after the child records it.
        if (type == "EpisodeOfCare" && caller.OrgType != OrgTypes.La) return "only the local authority looking after the child records its episodes of care";
        // Providers' systems hold their own copy of the child; the hub's Patient is the LA's. They name the child by NHS number.
        if (type == "Patient" && caller.OrgType is OrgTypes.Provider or OrgTypes.Gp)
            return "a provider or GP system names the child by NHS number (a conditional reference, or a Patient entry in a Bundle, which is matched, not written); the child's Patient record is the local authority's";
        return caller.OrgType switch
        {
            OrgTypes.La or OrgTypes.Provider or OrgTypes.Gp => null,
            // decisions.md: a young person records their own Consents (who they may record for is Hub.Consent's ConsentRecording).
            OrgTypes.YoungPerson when type == ConsentType => null,
            OrgTypes.YoungPerson => "a young person records only Consent resources",
            OrgTypes.Admin => "admin tokens never write patient data",
            _ => $"an organisation of type '{caller.OrgType}' may not write {type} resources",
        };
    }
}
