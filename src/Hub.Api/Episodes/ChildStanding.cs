using Hl7.Fhir.Model;
using Hub.Api.Notifications;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Api.Episodes;

/// <summary>How a child's records name it: the LA's CHILD id (the key of its Flags and notifications), the hub's id, the NHS number.</summary>
public sealed record ChildIds(string ChildId, string PatientId, string? NhsNumber);

/// <summary>
/// What a child's episodes say today: its care status, its three CLA Flags as they stand, and the notice a placement in
/// another ICB's area needs. The one place both the SSDA903 import and a REST write of an EpisodeOfCare derive these, so
/// the two agree on the facts every access decision reads, on the Flags' ids and on which placement was notified. Pure.
/// </summary>
public sealed record ChildStanding(CareStatus Status, IReadOnlyList<Flag> Flags, PlacementNotice? Notice)
{
    /// <param name="episodes">All the child's episodes; those that say nothing about where the child is are left out here.</param>
    /// <param name="inCareLeaverReturn">The child has an OC3 row, itself the care-leaver test (see <see cref="CareStatus.Of"/>).</param>
    public static ChildStanding Of(ChildIds child, DateOnly? birthDate, IReadOnlyList<EpisodeOfCare> episodes, MappingContext ctx, string laName,
        Func<string, string> organisationName, DateOnly today, bool inCareLeaverReturn)
    {
        var counted = episodes.Where(e => Counts(e, ctx.La)).ToList();
        // Without a birth date no age test can pass: never a care leaver by its episodes (an OC3 row still says so).
        var status = CareStatus.Of(birthDate ?? DateOnly.MinValue, counted.Select(e => FactsOf(e, ctx)).ToList(), ctx.LaIcb, today, inCareLeaverReturn);
        var flags = ChildMapper.Flags(child.ChildId, child.PatientId, status, ctx, today);
        var notice = PlacementNotice.Of(status, counted, ctx.La, laName, child.ChildId, child.PatientId, child.NhsNumber, organisationName);
        return new(status, flags, notice);
    }

    /// <summary>The facts the access rules read (who the host ICB is, looked after, care leaver, sealed) as the status says.</summary>
    /// <param name="year">The collection year to record when this is what seals the record.</param>
    public void ApplyTo(PatientFactsRow facts, int year)
    {
        if (Status.Adopted && !facts.Sealed) facts.SealedYear = year;
        facts.Sealed = Status.Adopted;
        facts.LookedAfter = Status.LookedAfter;
        facts.PlacementIcb = Status.PlacementIcb;
        facts.LastPlacementIcb = Status.LastPlacementIcb;
        facts.LastPlacementEnded = Status.LastPlacementEnded;
        facts.CareLeaverUntil = Status.EligibleUntil;
    }

    /// <summary>
    /// An episode of the LA's that says where the child was: active or finished, with a start, managed by the LA. Planned,
    /// cancelled and entered-in-error ones place the child nowhere; one that does not name the LA as its manager may be
    /// anyone's (providers write to a child's record too), and the host ICB's access must not follow it.
    /// </summary>
    public static bool Counts(EpisodeOfCare e, string la) =>
        e.Status is EpisodeOfCare.EpisodeOfCareStatus.Active or EpisodeOfCare.EpisodeOfCareStatus.Finished
        && ChildMapper.TryDay(e.Period?.Start, out _)
        && PatientFacts.OrganisationCode(e.ManagingOrganization) == la;

    /// <summary>
    /// An episode's facts, its placement ICB from the `cla-placement-icb` extension the import writes, else (an episode
    /// written through REST) from its postcode district, else the LA's ICB.
    /// </summary>
    public static EpisodeFacts FactsOf(EpisodeOfCare e, MappingContext ctx)
    {
        var facts = ChildMapper.FactsOf(e);
        if (facts.PlacementIcb is not null) return facts;
        var district = e.GetExtensionValue<FhirString>(Cla.Extension("cla-placement-postcode-district"))?.Value;
        return facts with { PlacementIcb = Placement.LocateDistrict(district, ctx.IcbOfPostcodePrefix, ctx.LaIcb).Icb };
    }

    /// <summary>The SSDA903 collection year a day falls in (1 April to 31 March, named by the year it ends).</summary>
    public static int CollectionYear(DateOnly day) => day.Month >= 4 ? day.Year + 1 : day.Year;
}
