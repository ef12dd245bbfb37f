using Hl7.Fhir.Model;
using Hub.Mappers.Kpis;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Tests.Kpis;

/// <summary>What the KPIs read from one resource (KpiRecord.Of), resource by resource.</summary>
public sealed class KpiRecordTests
{
    static EpisodeOfCare Episode(string start, string? end = null) => new()
    {
        Status = EpisodeOfCare.EpisodeOfCareStatus.Active,
        Period = new Period { Start = start, End = end },
        Extension =
        [
            new Extension(Cla.Extension("cla-legal-status"), new Coding(Cla.Ssda903("legal-status"), "C2")),
            new Extension(Cla.Extension("cla-reason-new-episode"), new Coding(Cla.Ssda903("reason-new-episode"), "S")),
            new Extension(Cla.Extension("cla-placement-icb"), new ResourceReference("Organization/QE1")),
        ],
    };

    static Observation Oc2(string code, DataType value, string day = "2026-03-31") => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(Cla.HealthSystem, code),
        Effective = new FhirDateTime(day),
        Value = value,
    };

    static Encounter Assessment(string code, string start, Encounter.EncounterStatus status = Encounter.EncounterStatus.Finished) => new()
    {
        Status = status,
        Type = [new CodeableConcept("http://snomed.info/sct", "1234"), new CodeableConcept(Cla.HealthSystem, code)],
        Period = new Period { Start = start },
    };

    [Fact]
    public void an_episode_gives_its_days_legal_status_rne_and_placement_icb()
    {
        Assert.Equal(new KpiRecord(KpiRecordKind.Episode, null, new DateOnly(2025, 5, 1), new DateOnly(2025, 9, 30), "C2", "S", "QE1"),
            KpiRecord.Of(Episode("2025-05-01", "2025-09-30")));
        Assert.Equal(new KpiRecord(KpiRecordKind.Episode, null, new DateOnly(2025, 5, 1), null, "C2", "S", "QE1"), KpiRecord.Of(Episode("2025-05-01")));
    }

    [Fact]
    public void an_episode_without_a_start_or_entered_in_error_gives_nothing()
    {
        Assert.Null(KpiRecord.Of(new EpisodeOfCare { Status = EpisodeOfCare.EpisodeOfCareStatus.Active }));
        var wrong = Episode("2025-05-01");
        wrong.Status = EpisodeOfCare.EpisodeOfCareStatus.EnteredInError;
        Assert.Null(KpiRecord.Of(wrong));
    }

    [Fact]
    public void an_oc2_item_gives_its_31_march_and_flag_or_score()
    {
        Assert.Equal(new KpiRecord(KpiRecordKind.Oc2Item, "dental-check-up-to-date", new DateOnly(2026, 3, 31), Flag: true),
            KpiRecord.Of(Oc2("dental-check-up-to-date", new FhirBoolean(true))));
        Assert.Equal(new KpiRecord(KpiRecordKind.Oc2Item, "immunisations-up-to-date", new DateOnly(2026, 3, 31), Flag: false),
            KpiRecord.Of(Oc2("immunisations-up-to-date", new FhirBoolean(false))));
        Assert.Equal(new KpiRecord(KpiRecordKind.Oc2Item, "sdq-total-score", new DateOnly(2026, 3, 31), Score: 21),
            KpiRecord.Of(Oc2("sdq-total-score", new Integer(21), "2026-03-31T00:00:00Z")));
    }

    [Fact]
    public void other_observations_and_ones_entered_in_error_give_nothing()
    {
        Assert.Null(KpiRecord.Of(Oc2("substance-misuse", new FhirBoolean(true))));
        Assert.Null(KpiRecord.Of(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "sdq-total-score"), Effective = new FhirDateTime("2026-03-31"), Value = new Integer(3) }));
        var wrong = Oc2("sdq-total-score", new Integer(21));
        wrong.Status = ObservationStatus.EnteredInError;
        Assert.Null(KpiRecord.Of(wrong));
        var undated = Oc2("sdq-total-score", new Integer(21));
        undated.Effective = null;
        Assert.Null(KpiRecord.Of(undated));
    }

    [Fact]
    public void a_health_assessment_or_dental_check_gives_its_day_in_the_time_zone_it_was_recorded_in()
    {
        Assert.Equal(new KpiRecord(KpiRecordKind.Assessment, Cla.Assessments.Initial, new DateOnly(2025, 9, 15)),
            KpiRecord.Of(Assessment(Cla.Assessments.Initial, "2025-09-15T00:30:00+01:00")));
        Assert.Equal(new KpiRecord(KpiRecordKind.Assessment, "dental-check", new DateOnly(2025, 10, 2)), KpiRecord.Of(Assessment("dental-check", "2025-10-02")));
    }

    [Fact]
    public void a_cancelled_or_mistaken_assessment_or_another_encounter_gives_nothing()
    {
        Assert.Null(KpiRecord.Of(Assessment(Cla.Assessments.Review, "2025-09-15", Encounter.EncounterStatus.Cancelled)));
        Assert.Null(KpiRecord.Of(Assessment(Cla.Assessments.Review, "2025-09-15", Encounter.EncounterStatus.EnteredInError)));
        Assert.Null(KpiRecord.Of(Assessment("gp-appointment", "2025-09-15")));
        Assert.Null(KpiRecord.Of(new Patient()));
    }
}
