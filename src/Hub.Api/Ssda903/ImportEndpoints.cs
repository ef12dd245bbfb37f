using Hangfire;
using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Reading;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Ssda903;

/// <summary>
/// `POST /fhir/$import-ssda903?la=&amp;year=` (contract section 4): multipart CSV parts or one zip; synchronous up to
/// 10,000 rows, otherwise (or with `Prefer: respond-async`) a Hangfire job whose status URL reports progress.
/// </summary>
public static class ImportEndpoints
{
    public const int SyncRowLimit = 10_000;

    public static void MapSsda903Import(this WebApplication app)
    {
        app.MapPost("/fhir/$import-ssda903", ImportAsync).RequireAuthorization().ExcludeFromDescription();
        app.MapGet("/fhir/$import-ssda903/status/{id}", StatusAsync).RequireAuthorization()
            .WithTags("import").WithSummary("Progress of an asynchronous SSDA903 import: 202 while it runs, then 200 (committed) or 422 (rejected) with its OperationOutcome");
    }

    static Caller CallerOf(HttpContext http) => http.GetCaller() ?? throw FhirProblem.Of(401, OperationOutcome.IssueType.Login, "A valid bearer token is required");

    /// <summary>An LA imports its own return; an admin client may import any LA's.</summary>
    static void CheckMayImport(Caller caller, string la)
    {
        if (caller.IsAdmin) return;
        if (caller.OrgType != OrgTypes.La || caller.Org != la)
            throw FhirProblem.Forbidden($"Only LA {la} (or an admin client) may import LA {la}'s return");
    }

    static (string La, int Year) Parameters(HttpRequest request)
    {
        var la = request.Query["la"].ToString();
        if (!System.Text.RegularExpressions.Regex.IsMatch(la, "^[0-9]{3}$")) throw FhirProblem.Invalid("la must be a DfE 3-digit LA number", "la");
        if (!int.TryParse(request.Query["year"], out var year) || year < Ssda903Tables.FirstYear || year > Ssda903Tables.LatestYear)
            throw FhirProblem.Of(422, OperationOutcome.IssueType.Value,
                $"year must be a collection year (its ending year) from {Ssda903Tables.FirstYear} to {Ssda903Tables.LatestYear}, not '{request.Query["year"]}'", "year");
        return (la, year);
    }

    static async Task<IResult> ImportAsync(HttpContext http, Ssda903Importer importer, HubDb db, IBackgroundJobClient jobs, TimeProvider clock)
    {
        try
        {
            var caller = CallerOf(http);
            var (la, year) = Parameters(http.Request);
            CheckMayImport(caller, la);
            var folder = await SaveUploadAsync(http);
            var rows = Directory.EnumerateFiles(folder).Sum(f => CountLines(f));
            var async = http.Request.Headers["Prefer"].ToString().Contains("respond-async", StringComparison.OrdinalIgnoreCase) || rows > SyncRowLimit;
            if (!async)
            {
                try
                {
                    var result = await importer.ImportAsync(caller, la, year, folder, null, http.RequestAborted);
                    await FhirFormat.WriteAsync(http, result.Status, result.ToOutcome());
                    return Results.Empty;
                }
                finally { Directory.Delete(folder, recursive: true); }
            }
            var job = new ImportJobRow
            {
                Id = Guid.NewGuid().ToString("N"), La = la, Year = year, State = "queued", Stage = "queued",
                Created = clock.GetUtcNow().UtcDateTime, Folder = folder,
            };
            db.ImportJobs.Add(job);
            await db.SaveChangesAsync();
            jobs.Enqueue<ImportJob>(j => j.RunAsync(job.Id, caller.Org, caller.OrgType, caller.ClientId, CancellationToken.None));
            http.Response.Headers.ContentLocation = $"{FhirEndpoints.BaseUrl(http)}/$import-ssda903/status/{job.Id}";
            await FhirFormat.WriteAsync(http, 202, Outcomes.Information($"Import queued as job {job.Id}; poll Content-Location for progress"));
            return Results.Empty;
        }
        catch (FhirProblem p)
        {
            await FhirFormat.WriteOutcomeAsync(http, p.Status, p.Outcome);
            return Results.Empty;
        }
    }

    static async Task<IResult> StatusAsync(HttpContext http, string id, HubDb db, ImportProgressBoard board)
    {
        var caller = CallerOf(http);
        var job = await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id);
        if (job is null || !caller.IsAdmin && !(caller.OrgType == OrgTypes.La && caller.Org == job.La))
        {
            await FhirFormat.WriteOutcomeAsync(http, 404, Outcomes.Error(OperationOutcome.IssueType.NotFound, $"Import job {id} is not known"));
            return Results.Empty;
        }
        if (job.State is "done" && job.ResultJson is not null)
        {
            await FhirFormat.WriteStoredAsync(http, job.ResultStatus ?? 200, System.Text.Encoding.UTF8.GetBytes(job.ResultJson), FhirFormat.Negotiate(http.Request) ?? WireFormat.Json);
            return Results.Empty;
        }
        if (job.State is "failed")
        {
            await FhirFormat.WriteOutcomeAsync(http, 500, Outcomes.Error(OperationOutcome.IssueType.Exception, $"Import job {id} failed; nothing was written"));
            return Results.Empty;
        }
        var p = board.Of(id) ?? new ImportProgress(job.Stage, job.ChildrenDone, job.ChildrenTotal);
        var percent = p.Total == 0 ? 0 : 100 * p.Done / p.Total;
        http.Response.Headers["X-Progress"] = $"{p.Stage} {percent}%";
        await FhirFormat.WriteAsync(http, 202, Outcomes.Information($"{job.State}: {p.Stage}, {p.Done} of {p.Total} ({percent}%)"));
        return Results.Empty;
    }

    static int CountLines(string file)
    {
        if (file.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return SyncRowLimit + 1;
        var n = 0;
        using var r = new StreamReader(file);
        while (r.ReadLine() is not null) if (++n > SyncRowLimit) break;
        return n;
    }

    /// <summary>The request's files into a folder of their own: multipart parts, or the zip body as it is.</summary>
    static async Task<string> SaveUploadAsync(HttpContext http)
    {
        var folder = Path.Combine(Path.GetTempPath(), "carehub-import-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var type = http.Request.ContentType ?? "";
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync();
            if (form.Files.Count == 0) throw FhirProblem.Invalid("The multipart body holds no files");
            var i = 0;
            foreach (var f in form.Files)
            {
                // Only the file name's last part, so a part cannot write outside the folder; issues name the file as sent.
                var name = Path.GetFileName(f.FileName.Replace('\\', '/'));
                if (name.Length == 0 || name.StartsWith('.')) name = $"part{i}.csv";
                if (File.Exists(Path.Combine(folder, name))) name = $"{Path.GetFileNameWithoutExtension(name)}-{i}{Path.GetExtension(name)}";
                i++;
                await using var s = File.Create(Path.Combine(folder, name));
                await f.CopyToAsync(s);
            }
        }
        else if (type.Contains("zip", StringComparison.OrdinalIgnoreCase))
        {
            await using var s = File.Create(Path.Combine(folder, "return.zip"));
            await http.Request.Body.CopyToAsync(s);
        }
        else throw FhirProblem.Of(415, OperationOutcome.IssueType.NotSupported, "Send the return as multipart/form-data (one part per file) or application/zip");
        return folder;
    }
}
