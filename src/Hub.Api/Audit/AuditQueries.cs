using Hub.Api.Fhir;
using Hub.Api.Search;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Audit;

/// <summary>AuditEvent read and search (admin only): by patient, agent, date and outcome.</summary>
public static class AuditQueries
{
    public static Task<AuditRow?> FindAsync(HubDb db, string id) => db.Audit.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id);

    public static (IQueryable<AuditRow> Rows, int Count, int Offset) Filter(HubDb db, IEnumerable<(string Name, string Value)> query)
    {
        IQueryable<AuditRow> rows = db.Audit.AsNoTracking();
        int count = SearchQuery.DefaultCount, offset = 0;
        foreach (var (name, value) in query)
        {
            switch (name)
            {
                case "patient":
                    var patient = value.StartsWith("Patient/", StringComparison.Ordinal) ? value["Patient/".Length..] : value;
                    rows = rows.Where(a => a.PatientId == patient); break;
                case "agent":
                    var agent = value.Contains('|') ? value[(value.IndexOf('|') + 1)..] : value.Split('/').Last();
                    rows = rows.Where(a => a.AgentOrg == agent); break;
                case "outcome":
                    rows = rows.Where(a => a.Outcome == value); break;
                case "action":
                case "subtype":
                    rows = rows.Where(a => a.Action == value); break;
                case "date":
                    var prefix = value.Length > 2 && char.IsLetter(value[0]) ? value[..2] : "eq";
                    var range = Dates.Parse(prefix == "eq" && !value.StartsWith("eq", StringComparison.Ordinal) ? value : value[2..])
                        ?? throw FhirProblem.Invalid($"'{value}' is not a FHIR date", "date");
                    rows = prefix switch
                    {
                        "ge" or "sa" or "gt" => rows.Where(a => a.Recorded >= range.Start),
                        "le" or "eb" or "lt" => rows.Where(a => a.Recorded < range.End),
                        _ => rows.Where(a => a.Recorded >= range.Start && a.Recorded < range.End),
                    };
                    break;
                case "_count": count = Math.Clamp(int.TryParse(value, out var c) ? c : count, 1, SearchQuery.MaxCount); break;
                case "_offset": offset = Math.Max(0, int.TryParse(value, out var o) ? o : 0); break;
            }
        }
        return (rows.OrderByDescending(a => a.Recorded).ThenByDescending(a => a.Key), count, offset);
    }
}
