using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using Hl7.Fhir.Model;

namespace Hub.Consent.Consents;

/// <summary>§3.4: who may grant or object for this child, for a category, on a date.</summary>
public static class ConsentAuthorities
{
    /// <summary>Completed years on the date; a child whose birth date is unknown is treated as under 16 (CLAPatient requires one).</summary>
    public static int AgeOn(DateOnly? birthDate, DateOnly day)
    {
        if (birthDate is not { } b) return 0;
        var age = day.Year - b.Year;
        return day < b.AddYears(age) ? age - 1 : age;
    }

    /// <summary>The latest assessment for any of the categories or for all ("*").</summary>
    public static Competence? CompetenceFor(SubjectFacts child, IEnumerable<string> categories, DateOnly day)
    {
        var wanted = categories.Append("*").ToHashSet(StringComparer.Ordinal);
        return child.Competence.Where(c => wanted.Contains(c.Category) && c.AssessedOn <= day)
            .OrderByDescending(c => c.AssessedOn).ThenBy(c => c.Outcome)
            .Select(c => (Competence?)c.Outcome).FirstOrDefault();
    }

    /// <summary>The young person decides for themselves: 16+ with capacity, or Gillick-competent for the categories (rows 14/15).</summary>
    public static bool YoungPersonCompetent(SubjectFacts child, IEnumerable<string> categories, DateOnly day)
    {
        var competence = CompetenceFor(child, categories, day);
        return AgeOn(child.BirthDate, day) >= 16 ? competence != Competence.LacksCapacity : competence == Competence.Competent;
    }

    /// <summary>Who holds consent authority for these categories ("*" or none for all data), by the first matching row of §3.4.</summary>
    public static IReadOnlySet<ConsentAuthority> Holders(SubjectFacts child, IReadOnlyCollection<string> categories, DateOnly day, ConsentPolicy policy)
    {
        var age = AgeOn(child.BirthDate, day);
        var competence = CompetenceFor(child, categories, day);
        foreach (var rule in policy.ConsentAuthority)
        {
            if (age < rule.MinAge || age > rule.MaxAge) continue;
            var competenceMatches = rule.Competence switch
            {
                "any" => true,
                "competent" => competence == Competence.Competent,
                "lacks-capacity" => competence == Competence.LacksCapacity,
                _ => competence != Competence.Competent, // not assessed counts as not competent under 16
            };
            if (!competenceMatches) continue;
            if (rule.LegalStatus is { } statuses && !statuses.Contains(child.LegalStatus)) continue;
            return rule.Who;
        }
        return new HashSet<ConsentAuthority>();
    }

    /// <summary>What kind of person a Consent's performer is for this child; NotEntitled when unknown.</summary>
    public static ConsentAuthority AuthorityOf(ResourceReference? performer, SubjectFacts child)
    {
        var r = performer?.Reference;
        if (r is null) return ConsentAuthority.NotEntitled;
        var (type, id) = Split(r);
        return type switch
        {
            "Patient" when id == child.PatientId => ConsentAuthority.YoungPerson,
            // decisions.md: a competent child's request may be recorded by their clinician on their behalf.
            "Practitioner" or "PractitionerRole" => ConsentAuthority.YoungPerson,
            "Organization" when id == child.ManagingLa => ConsentAuthority.LocalAuthority,
            "RelatedPerson" => child.ResponsiblePersons.FirstOrDefault(p => p.Reference == r)?.Authority ?? ConsentAuthority.NotEntitled,
            _ => ConsentAuthority.NotEntitled,
        };
    }

    internal static (string Type, string Id) Split(string reference)
    {
        var parts = reference.Split('/');
        return parts.Length >= 2 ? (parts[^2], parts[^1]) : ("", reference);
    }
}
