namespace Hub.Mappers.Kpis;

/// <summary>The statutory health KPIs (contract §8), by the ids of their Measure resources in fhir-profiles/.</summary>
public static class Measures
{
    public const string InitialHealthAssessment = "iha-20-working-days";
    public const string ReviewHealthAssessment = "rha-on-time";
    public const string DentalCheck = "dental-check";
    public const string Immunisations = "immunisations-up-to-date";
    public const string Sdq = "sdq-recorded";

    public static readonly IReadOnlyList<string> All = [InitialHealthAssessment, ReviewHealthAssessment, DentalCheck, Immunisations, Sdq];

    /// <summary>Working days from becoming looked after within which the IHA is due (fhir-uk.md §6.3).</summary>
    public const int IhaWorkingDays = 20;

    /// <summary>SDQ total scores from this one up are a cause for concern (the DfE's band, 17 to 40).</summary>
    public const int SdqConcernFrom = 17;
}

public enum Stratum { All, InArea, OutOfArea }

/// <summary>
/// The counts of one stratum: initial population, denominator, numerator; for the SDQ also the children with a score
/// (the numerator), the sum of their scores and how many are of concern (17+).
/// </summary>
public sealed record Tally(int InitialPopulation, int Denominator, int Numerator, long ScoreSum = 0, int Concern = 0)
{
    public static readonly Tally Zero = new(0, 0, 0);
}

/// <summary>What a measure counts, per stratum (All, InArea, OutOfArea), before suppression.</summary>
public sealed record MeasureCounts(string Measure, IReadOnlyDictionary<Stratum, Tally> ByStratum)
{
    public Tally this[Stratum s] => ByStratum[s];
}
